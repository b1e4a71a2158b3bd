import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createTask, launch, newContext, screenshot, signUp, uniqueEmail } from "./browser.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("the activity page lists the changes with a before/after view", async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await signUp(page, uniqueEmail("activity"));
  await createTask(page, "Read a book");
  const card = page.locator(".task-card", { hasText: "Read a book" });
  await card.getByRole("link").click();
  await page.getByLabel("Title").fill("Read two books");
  await page.getByLabel("Priority").selectOption({ label: "Medium" });
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByRole("button", { name: "Complete “Read two books”" }).click();
  await page.locator(".task-card.is-done", { hasText: "Read two books" }).waitFor();
  await page.getByRole("button", { name: "Delete “Read two books”" }).click();
  await page.locator(".task-card", { hasText: "Read two books" }).waitFor({ state: "detached" });

  await page.getByRole("link", { name: "Activity", exact: true }).click();
  // The audit log is written from events: give it a moment, reloading until all four are in.
  const kinds = async () => page.locator("[data-testid=audit-entry] .event-type").allTextContents();
  for (let i = 0; i < 20 && (await kinds()).length < 4; i++) {
    await page.waitForTimeout(500);
    await page.reload();
    await page.getByRole("heading", { name: "Activity" }).waitFor();
    await page.waitForLoadState("networkidle");
  }
  assert.deepEqual(await kinds(), ["Deleted", "Completed", "Updated", "Created"]);

  const updated = page.getByTestId("audit-entry").filter({ hasText: "Updated" });
  await updated.getByText(/What changed/).click();
  const diff = updated.locator("table.diff");
  await diff.getByRole("rowheader", { name: "Title" }).waitFor();
  assert.match(await diff.textContent(), /Read a book.*Read two books/);
  assert.match(await diff.textContent(), /Priority.*None.*Medium/);
  await screenshot(page, "activity");

  // Filter by kind: only completions.
  await page.getByRole("checkbox", { name: "Completed" }).click();
  await page.waitForURL(/types=completed/);
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=audit-entry]").length === 1);
  assert.deepEqual(await kinds(), ["Completed"]);
  // A date range before today has nothing.
  await page.getByLabel("To", { exact: true }).fill("2020-01-01");
  await page.getByText("No activity here.").waitFor();
  await ctx.close();
});
