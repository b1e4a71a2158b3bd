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

test("tag CRUD: create, duplicate name refused, rename, recolor, count, delete with confirmation", async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await signUp(page, uniqueEmail("tags"));
  await page.getByRole("link", { name: "Tags", exact: true }).click();
  await page.getByText("No tags yet.").waitFor();

  await page.getByLabel("New tag name").fill("errands");
  await page.getByRole("button", { name: "Create tag" }).click();
  const row = page.getByTestId("tag-row").filter({ hasText: "errands" });
  await row.waitFor();
  assert.match(await row.textContent(), /0 tasks/);

  await page.getByLabel("New tag name").fill("Errands");
  await page.getByRole("button", { name: "Create tag" }).click();
  await page.getByText("You already have a tag named “Errands”.").waitFor();

  // A task carrying the tag raises the count.
  await page.goto("/tasks/new");
  await page.getByLabel("Title").fill("Post office");
  await page.getByRole("button", { name: "errands" }).click();
  await page.getByRole("button", { name: "Create task" }).click();
  await page.locator(".task-card", { hasText: "Post office" }).waitFor();
  await page.goto("/tags");
  await page.getByTestId("tag-row").filter({ hasText: "1 task" }).waitFor();

  await page.getByRole("button", { name: "Edit tag errands" }).click();
  await page.getByLabel("Name", { exact: true }).fill("chores");
  await page.getByLabel("Color", { exact: true }).last().fill("#ef4444");
  await page.getByRole("button", { name: "Save" }).click();
  const renamed = page.getByTestId("tag-row").filter({ hasText: "chores" });
  await renamed.waitFor();
  assert.equal(await renamed.locator(".tag-chip").evaluate((e) => getComputedStyle(e).backgroundColor), "rgb(239, 68, 68)");
  await screenshot(page, "tags");

  // Deleting asks first; Cancel keeps it.
  await page.getByRole("button", { name: "Delete tag chores" }).click();
  const dialog = page.getByRole("alertdialog");
  await dialog.getByText("It is taken off 1 task").waitFor();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await renamed.waitFor();
  await page.getByRole("button", { name: "Delete tag chores" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Delete tag" }).click();
  await page.getByText("No tags yet.").waitFor();

  // The task stays, without the tag.
  await page.goto("/");
  const card = page.locator(".task-card", { hasText: "Post office" });
  await card.waitFor();
  assert.equal(await card.locator(".tag-chip").count(), 0);
  await ctx.close();
});

test("a tag name can also be picked or created while editing a task", async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await signUp(page, uniqueEmail("tagpick"));
  await createTask(page, "Untagged");
  await page.locator(".task-card", { hasText: "Untagged" }).getByRole("link").click();
  await page.getByLabel("New tag name").fill("later");
  await page.getByLabel("New tag name").press("Enter");
  await page.getByRole("button", { name: "later", pressed: true }).waitFor();
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.locator(".task-card", { hasText: "Untagged" }).getByText("later").waitFor();
  await ctx.close();
});
