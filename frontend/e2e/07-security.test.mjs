import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { baseURL, createTask, launch, newContext, signUp, uniqueEmail } from "./browser.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/**
 * watch records, for every page of ctx, the CSP violations the browser reports
 * (securitypolicyviolation events, registered before any of the page's own scripts),
 * console errors, uncaught errors, and the URLs and offered subprotocols of WebSockets.
 */
async function watch(ctx) {
  const seen = { violations: [], errors: [], sockets: [] };
  await ctx.exposeBinding("__reportViolation", (_src, v) => seen.violations.push(v));
  await ctx.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__reportViolation({ directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample });
    });
  });
  ctx.on("page", (page) => watchPage(page, seen));
  return seen;
}

function watchPage(page, seen) {
  page.on("console", (m) => {
    if (m.type() === "error") seen.errors.push(m.text());
  });
  page.on("pageerror", (e) => seen.errors.push(String(e)));
  page.on("websocket", (ws) => seen.sockets.push(ws.url()));
}

/**
 * handshakes records the Sec-WebSocket-Protocol offered and answered in page's WebSocket
 * handshakes (playwright does not expose handshake headers; the DevTools protocol does).
 */
async function handshakes(page) {
  const out = { offered: [], answered: [] };
  const cdp = await page.context().newCDPSession(page);
  const header = (headers, name) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  cdp.on("Network.webSocketWillSendHandshakeRequest", (e) => out.offered.push(header(e.request.headers, "sec-websocket-protocol")));
  cdp.on("Network.webSocketHandshakeResponseReceived", (e) => out.answered.push(header(e.response.headers, "sec-websocket-protocol")));
  await cdp.send("Network.enable");
  return out;
}

test("the app sends security headers and runs under its Content-Security-Policy", async () => {
  const ctx = await newContext(browser);
  const seen = await watch(ctx);
  const page = await ctx.newPage();
  const hs = await handshakes(page);
  const assets = [];
  page.on("response", (r) => {
    if (new URL(r.url()).pathname.startsWith("/assets/")) assets.push(r);
  });

  const res = await page.goto("/");
  const h = res.headers();
  const csp = h["content-security-policy"] ?? "";
  assert.match(csp, /(^|; )script-src 'self'(;|$)/);
  assert.match(csp, /(^|; )style-src 'self'(;|$)/);
  assert.match(csp, /(^|; )connect-src 'self'(;|$)/);
  assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-/);
  assert.equal(h["x-content-type-options"], "nosniff");
  assert.equal(h["referrer-policy"], "no-referrer");
  assert.match(h["permissions-policy"] ?? "", /camera=\(\)/);
  assert.match(h["permissions-policy"] ?? "", /microphone=\(\)/);
  assert.match(h["permissions-policy"] ?? "", /geolocation=\(\)/);
  await page.waitForURL(/\/signin/);
  assert.ok(assets.length > 0, "the page loaded no assets");
  for (const a of assets) {
    assert.equal(a.headers()["x-content-type-options"], "nosniff", a.url());
    assert.match(a.headers()["content-security-policy"] ?? "", /frame-ancestors 'none'/, a.url());
  }

  // A flow that touches every kind of resource: pages, RPCs, the live socket, tag colors
  // (inline style props), a second tab kept live.
  await signUp(page, uniqueEmail("csp"));
  await page.locator(".live-live").waitFor();
  await createTask(page, "Under a strict CSP", { priority: "High" });
  await page.goto("/tags");
  await page.getByLabel("New tag name").fill("secure");
  await page.getByRole("button", { name: "Create tag" }).click();
  await page.getByTestId("tag-row").filter({ hasText: "secure" }).waitFor();
  const other = await ctx.newPage();
  await other.goto("/");
  await other.locator(".live-live").waitFor();
  await page.goto("/tasks/new");
  await page.getByLabel("Title").fill("Seen live in the other tab");
  await page.getByRole("button", { name: "Create task" }).click();
  await other.locator(".task-card", { hasText: "Seen live in the other tab" }).waitFor();
  await page.goto("/settings");
  await page.getByRole("heading", { name: "Settings" }).waitFor();
  await page.goto("/notifications");
  await page.getByRole("heading", { name: "Notifications" }).waitFor();

  assert.deepEqual(seen.violations, [], "CSP violations during the flow");
  assert.deepEqual(seen.errors, [], "console errors during the flow");

  // The socket's token travels as a subprotocol, never in the URL, and the server
  // answers with the app's protocol alone.
  assert.ok(seen.sockets.length >= 2, `sockets seen: ${JSON.stringify(seen.sockets)}`);
  for (const url of seen.sockets) assert.doesNotMatch(url, /token|bearer/i, url);
  assert.ok(hs.offered.length >= 1 && hs.answered.length >= 1, JSON.stringify(hs));
  for (const p of hs.offered) assert.match(p ?? "", /^taskmesh\.v1, bearer\.[\w-]+\.[\w-]+\.[\w-]+$/);
  for (const p of hs.answered) assert.equal(p, "taskmesh.v1");

  // The policy is enforced (and the watch above would have seen a breach): an injected
  // inline script does not run and is reported.
  await page.evaluate(() => {
    const s = document.createElement("script");
    s.textContent = "window.__inlineRan = true";
    document.body.append(s);
  });
  assert.equal(await page.evaluate(() => window.__inlineRan), undefined);
  await waitUntil(() => seen.violations.some((v) => v.directive === "script-src-elem" || v.directive === "script-src"));
  await ctx.close();
});

test("another site cannot frame the app", async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  // A page of another origin (data: URLs are opaque) embedding the app: Chromium puts
  // its error page in the frame instead.
  await page.goto(`data:text/html,<iframe src="${baseURL}/signin"></iframe>`);
  const frame = await (await page.waitForSelector("iframe")).contentFrame();
  await frame.waitForLoadState();
  assert.doesNotMatch(frame.url(), /signin/, "the framed app loaded");
  assert.equal(await frame.locator("#root").count(), 0, "the framed app rendered");
  await ctx.close();
});

/** waitUntil polls cond for up to 5 s. */
async function waitUntil(cond) {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${cond}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
