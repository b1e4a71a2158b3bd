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

test("sign up, sign out, sign in again", async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await page.goto("/");
  await page.waitForURL(/\/signin/);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await screenshot(page, "signin");

  const { email, password } = await signUp(page, uniqueEmail("auth"));
  await page.getByText("No tasks yet.").waitFor();

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/signin/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("wrong password!");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Wrong email or password.").waitFor();
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Tasks" }).waitFor();
  await ctx.close();
});

test("sign-up form shows the protovalidate messages next to the fields", async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await page.goto("/signup");
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Sign up" }).click();
  const email = page.getByLabel("Email");
  await assert.doesNotReject(email.and(page.locator("[aria-invalid=true]")).waitFor());
  const errId = await email.getAttribute("aria-describedby");
  assert.match(await page.locator(`#${CSS_escape(errId)}`).textContent(), /email/i);
  await ctx.close();
});

test("time zone is set in settings", async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await signUp(page, uniqueEmail("tz"));
  await page.getByRole("link", { name: /^Settings/ }).click();
  await page.getByLabel("Time zone").selectOption("America/New_York");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("Times are shown in America/New_York").waitFor();
  await page.reload();
  assert.equal(await page.getByLabel("Time zone").inputValue(), "America/New_York");
  await screenshot(page, "settings");
  await ctx.close();
});

test("an expired session ends cleanly on the sign-in page", async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await signUp(page, uniqueEmail("expiry"));
  // The access token has expired and the refresh token is no longer accepted.
  await page.evaluate(() => {
    const s = JSON.parse(localStorage.getItem("taskmesh.session"));
    s.accessExpiresAt = Date.now() - 1000;
    s.refreshToken = "revoked-token";
    localStorage.setItem("taskmesh.session", JSON.stringify(s));
  });
  await page.reload();
  await page.waitForURL(/\/signin/);
  await page.getByText("Your session has expired. Please sign in again.").waitFor();
  await ctx.close();
});

function CSS_escape(id) {
  return id.replace(/([^a-zA-Z0-9_-])/g, "\\$1");
}
