import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, newContext, signUp, uniqueEmail } from "./browser.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** recordRPCs lists the RPCs a page sends ("TaskService/ListTasks"), the WebSocket aside. */
function recordRPCs(page) {
  const log = { calls: [], last: Date.now() };
  page.on("request", (req) => {
    const m = /\/taskmesh\.[a-z]+\.v1\.(\w+)\/(\w+)$/.exec(new URL(req.url()).pathname);
    if (!m) return;
    log.calls.push(`${m[1]}/${m[2]}`);
    log.last = Date.now();
  });
  return {
    /** take returns the calls since the last take and starts a new count. */
    take: () => log.calls.splice(0),
    /** quiet resolves once no RPC has left the page for ms (what a change set off has ended). */
    quiet: async (ms = 1500) => {
      while (Date.now() - log.last < ms) await new Promise((r) => setTimeout(r, 100));
    },
  };
}

test("a change costs one request in the tab that made it, and only the refetches it needs in another", async () => {
  const ctx = await newContext(browser);
  const a = await ctx.newPage();
  const b = await ctx.newPage(); // same profile: same user, like a second tab
  const rpcA = recordRPCs(a);
  const rpcB = recordRPCs(b);
  await signUp(a, uniqueEmail("requests"));
  // A shows the dashboard as it opens (all tasks, newest first); B sorts by title, so a
  // new task or a new title lands where only the server can say.
  await b.goto("/?sort=title");
  for (const p of [a, b]) await p.locator(".live-live").waitFor();
  await Promise.all([rpcA.quiet(), rpcB.quiet()]);
  rpcA.take();
  rpcB.take();

  const settled = async () => {
    await Promise.all([rpcA.quiet(), rpcB.quiet()]);
    return { a: rpcA.take(), b: rpcB.take() };
  };

  // Create in A (the editor is a page of the same app: no reload).
  await a.getByRole("link", { name: "+ New task" }).click();
  await a.getByLabel("Title").waitFor();
  await settled(); // opening the editor is not the change
  await a.getByLabel("Title").fill("Water the plants");
  await a.getByRole("button", { name: "Create task" }).click();
  await a.locator(".task-card", { hasText: "Water the plants" }).waitFor();
  await b.locator(".task-card", { hasText: "Water the plants" }).waitFor();
  const created = await settled();
  // A: its CreateTask only; the answer puts the task on top of its newest-first list, and
  // the echo from the socket is a no-op. B: the task joined a title-sorted list, so that
  // list is refetched; the tag counts did not change (no tags).
  assert.deepEqual(created, { a: ["TaskService/CreateTask"], b: ["TaskService/ListTasks"] });

  // Rename in A's editor.
  await a.locator(".task-card", { hasText: "Water the plants" }).getByRole("link").click();
  await a.getByLabel("Title").waitFor();
  await settled();
  await a.getByLabel("Title").fill("Water the plants and the garden");
  await a.getByRole("button", { name: "Save changes" }).click();
  await a.locator(".task-card", { hasText: "and the garden" }).waitFor();
  await b.locator(".task-card", { hasText: "and the garden" }).waitFor();
  const renamed = await settled();
  // A: UpdateTask; its list is sorted by creation, which a rename does not change. B: a
  // new title may move the task in a title-sorted list: refetched.
  assert.deepEqual(renamed, { a: ["TaskService/UpdateTask"], b: ["TaskService/ListTasks"] });

  // Complete in A, one click on the dashboard.
  await a.getByRole("button", { name: "Complete “Water the plants and the garden”" }).click();
  await a.locator(".task-card.is-done", { hasText: "and the garden" }).waitFor();
  await b.locator(".task-card.is-done", { hasText: "and the garden" }).waitFor();
  const completed = await settled();
  // Neither list filters on status nor sorts by it: both patch the task in place.
  assert.deepEqual(completed, { a: ["TaskService/CompleteTask"], b: [] });
  await ctx.close();
});
