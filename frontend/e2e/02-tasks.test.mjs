import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cardTitles, createTask, launch, newContext, screenshot, signUp, uniqueEmail } from "./browser.mjs";

let browser, ctx, page;
before(async () => {
  browser = await launch();
  ctx = await newContext(browser);
  page = await ctx.newPage();
  await signUp(page, uniqueEmail("tasks"));
});
after(async () => {
  await browser?.close();
});

const tomorrow = () => {
  const d = new Date(Date.now() + 86400_000);
  return d.toISOString().slice(0, 10);
};

test("create a task with every field", async () => {
  await page.getByRole("link", { name: "+ New task" }).click();
  await page.getByLabel("Title").fill("Plan the trip");
  await page.getByLabel("Description").fill("Trains, hotel, museum tickets");
  await page.getByLabel("Priority").selectOption({ label: "High" });
  // A tag created on the spot is selected at once.
  await page.getByLabel("New tag name").fill("travel");
  await page.getByRole("button", { name: "Add tag" }).click();
  await page.getByRole("button", { name: "travel", pressed: true }).waitFor();
  // Due tomorrow at 10:00.
  await page.getByLabel("Date and time", { exact: true }).check();
  await page.getByLabel("Due date", { exact: true }).fill(tomorrow());
  await page.getByLabel(/^Time/).fill("10:00");
  // Two reminders: one hour before, and at a fixed time.
  await page.getByRole("button", { name: "+ Add reminder" }).click();
  await page.getByLabel("Reminder 1 amount").fill("1");
  await page.getByLabel("Reminder 1 unit").selectOption("hours");
  await page.getByRole("button", { name: "+ Add reminder" }).click();
  await page.getByLabel("Reminder 2 type").selectOption("at");
  await page.getByLabel("Reminder 2 date and time").fill(`${tomorrow()}T08:15`);
  // Weekly on Monday and Thursday, five times; the preview lists them before saving.
  await page.getByLabel("Repeat this task").check();
  await page.getByLabel("Unit", { exact: true }).selectOption({ label: "week(s)" });
  await page.getByRole("button", { name: "Monday" }).click();
  await page.getByRole("button", { name: "Thursday" }).click();
  await page.getByLabel("After").check();
  await page.getByLabel("Number of times").fill("5");
  await page.getByText(/Weekly on Mon, Thu, 5 times/).waitFor();
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=occurrences] li").length === 5);
  await screenshot(page, "task-editor");
  await page.getByRole("button", { name: "Create task" }).click();

  const card = page.locator(".task-card", { hasText: "Plan the trip" });
  await card.waitFor();
  await card.getByLabel("High priority").waitFor();
  await card.getByText("travel").waitFor();
  await card.getByText("Weekly on Mon, Thu, 5 times").waitFor();
  assert.match(await card.locator(".indicator").last().textContent(), /2\/2/);
  await screenshot(page, "dashboard-task");

  // Opening it again shows what was saved.
  await card.getByRole("link", { name: "Plan the trip" }).click();
  assert.equal(await page.getByLabel("Title").inputValue(), "Plan the trip");
  assert.equal(await page.getByRole("button", { name: "Thursday" }).getAttribute("aria-pressed"), "true");
  assert.equal(await page.getByLabel("Reminder 1 unit").inputValue(), "hours");
  await page.getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("heading", { name: "Tasks" }).waitFor();
});

test("search, filter and sort live in the URL and survive a reload", async () => {
  await createTask(page, "alpha chores", { priority: "Low" });
  await createTask(page, "beta chores", { priority: "High" });
  await createTask(page, "gamma chores", { priority: "High" });
  await page.goto("/");
  await page.getByLabel("Search tasks").fill("chores");
  await page.waitForURL(/q=chores/);
  // The filters are the URL: a click changes the URL, which then checks the box.
  await page.getByRole("checkbox", { name: "High" }).click();
  await page.waitForURL(/priority=high/);
  await page.getByLabel("Sort by").selectOption("title");
  await page.waitForURL(/sort=title/);
  await page.getByRole("button", { name: /Ascending; switch to descending/ }).click();
  await page.waitForURL((u) => u.search.includes("sort=title") && u.search.includes("dir=desc") && u.search.includes("priority=high"));
  await page.waitForFunction(() => [...document.querySelectorAll(".task-card .task-title")].map((e) => e.textContent).join() === "gamma chores,beta chores");
  const url = page.url();
  await screenshot(page, "dashboard");

  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll(".task-card").length > 0);
  assert.equal(page.url(), url);
  assert.deepEqual(await cardTitles(page), ["gamma chores", "beta chores"]);
  assert.equal(await page.getByLabel("Search tasks").inputValue(), "chores");
  assert.equal(await page.getByRole("checkbox", { name: "High" }).isChecked(), true);
  assert.equal(await page.getByLabel("Sort by").inputValue(), "title");
});

test("complete and reopen in one click; delete with undo", async () => {
  await page.goto("/?q=chores");
  const alpha = page.locator(".task-card", { hasText: "alpha chores" });
  await alpha.getByRole("button", { name: "Complete “alpha chores”" }).click();
  await page.locator(".task-card.is-done", { hasText: "alpha chores" }).waitFor();
  await alpha.getByRole("button", { name: "Reopen “alpha chores”" }).click();
  await page.locator(".task-card:not(.is-done)", { hasText: "alpha chores" }).waitFor();

  await page.locator(".task-card", { hasText: "beta chores" }).getByRole("button", { name: "Delete “beta chores”" }).click();
  await page.locator(".task-card", { hasText: "beta chores" }).waitFor({ state: "detached" });
  await page.getByTestId("toast").filter({ hasText: "Deleted “beta chores”" }).getByRole("button", { name: "Undo" }).click();
  await page.locator(".task-card", { hasText: "beta chores" }).waitFor();
});

test("the dashboard works on a phone-sized screen", async () => {
  const phone = await ctx.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto("/");
  await phone.locator(".task-card").first().waitFor();
  await screenshot(phone, "dashboard-phone");
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
  await phone.close();
});
