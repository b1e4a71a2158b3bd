// Shared pieces of the browser tests: Debian's chromium driven by playwright-core (never a
// downloaded browser), a fresh profile per launch, sign-up, and screenshots.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { randomUUID } from "node:crypto";

export const baseURL = process.env.TASKMESH_URL ?? "http://127.0.0.1:8080";
const shots = join(dirname(fileURLToPath(import.meta.url)), "..", "test-results", "screenshots");

/**
 * launch starts headless chromium with the flags these machines need. playwright's
 * launch() gives every browser a fresh temporary profile (--user-data-dir) of its own.
 */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** newContext is one browser profile (its pages share localStorage, like tabs). */
export async function newContext(browser, opts = {}) {
  const ctx = await browser.newContext({ baseURL, viewport: { width: 1200, height: 900 }, timezoneId: "Europe/Paris", ...opts });
  ctx.setDefaultTimeout(15_000);
  return ctx;
}

/** uniqueEmail is an address no earlier run used. */
export function uniqueEmail(prefix = "user") {
  return `${prefix}-${randomUUID().slice(0, 8)}@example.com`;
}

/** signUp creates an account through the sign-up page and waits for the dashboard. */
export async function signUp(page, email = uniqueEmail(), password = "correct horse battery") {
  await page.goto("/signup");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByLabel("Name (optional)").fill(email.split("@")[0]);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByRole("heading", { name: "Tasks" }).waitFor();
  return { email, password };
}

/** screenshot saves the page under test-results/screenshots/<name>.png. */
export async function screenshot(page, name) {
  mkdirSync(shots, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header stays on top
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** createTask fills the new-task form with a title (and optional priority) and saves. */
export async function createTask(page, title, { priority } = {}) {
  await page.goto("/tasks/new");
  await page.getByLabel("Title").fill(title);
  if (priority) await page.getByLabel("Priority").selectOption({ label: priority });
  await page.getByRole("button", { name: "Create task" }).click();
  await page.getByRole("heading", { name: "Tasks" }).waitFor();
  await page.locator(".task-card", { hasText: title }).first().waitFor();
}

/** cardTitles lists the titles of the task cards in order. */
export async function cardTitles(page) {
  return page.locator(".task-card .task-title").allTextContents();
}
