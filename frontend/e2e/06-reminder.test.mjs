import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, newContext, screenshot, signUp, uniqueEmail } from "./browser.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

// Needs the reminder pipeline: api's reminder-cron, the notification service and realtime.
test("a reminder due in a few seconds shows a toast, and lands in the inbox", async () => {
  const ctx = await newContext(browser, { timezoneId: "UTC" });
  const page = await ctx.newPage();
  await signUp(page, uniqueEmail("remind"));
  await page.goto("/tasks/new");
  await page.getByLabel("Title").fill("Stretch your legs");
  await page.getByRole("button", { name: "+ Add reminder" }).click();
  // The user's zone is the browser's (UTC here); seconds are accepted by the input.
  const at = new Date(Date.now() + 8_000).toISOString().slice(0, 19);
  await page.getByLabel("Reminder 1 date and time").fill(at);
  await page.getByRole("button", { name: "Create task" }).click();
  await page.locator(".task-card", { hasText: "Stretch your legs" }).waitFor();
  await page.locator(".live-live").waitFor();

  const toast = page.getByTestId("toast").filter({ hasText: "Reminder: Stretch your legs" });
  await toast.waitFor({ timeout: 45_000 });
  await screenshot(page, "reminder-toast");

  await page.getByTestId("unread-count").waitFor();
  assert.equal(await page.getByTestId("unread-count").textContent(), "1");
  // A second tab of the same user shows the same unread count, and follows when the
  // first one marks the notification read.
  const other = await ctx.newPage();
  await other.goto("/");
  await other.getByTestId("unread-count").waitFor();
  assert.equal(await other.getByTestId("unread-count").textContent(), "1");
  await page.getByRole("link", { name: /Notifications/ }).click();
  const item = page.getByTestId("notification").filter({ hasText: "Stretch your legs" });
  await item.waitFor();
  await screenshot(page, "notifications");
  await item.getByRole("button", { name: /Mark .* read/ }).click();
  await page.getByText("Nothing unread.").waitFor();
  await page.getByTestId("unread-count").waitFor({ state: "detached" });
  await other.getByTestId("unread-count").waitFor({ state: "detached", timeout: 2_000 });
  await ctx.close();
});
