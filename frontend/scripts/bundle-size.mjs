// Measures the initial JavaScript of the built app: every script and modulepreload that
// dist/index.html references (what the browser fetches before the first page renders),
// gzipped. Fails when the total is over the budget (BUNDLE_BUDGET_KB, default 250).
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const budgetKB = Number(process.env.BUNDLE_BUDGET_KB ?? 250);
const html = readFileSync(join(dist, "index.html"), "utf8");
const refs = new Set();
for (const m of html.matchAll(/<script[^>]*\bsrc="([^"]+\.js)"/g)) refs.add(m[1]);
for (const m of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+\.js)"/g)) refs.add(m[1]);
if (refs.size === 0) {
  console.error("bundle-size: no script found in dist/index.html");
  process.exit(1);
}
let raw = 0;
let gz = 0;
for (const ref of refs) {
  const buf = readFileSync(join(dist, ref.replace(/^\//, "")));
  const z = gzipSync(buf, { level: 9 }).length;
  raw += buf.length;
  gz += z;
  console.log(`  ${ref}: ${(buf.length / 1024).toFixed(1)} KB, ${(z / 1024).toFixed(1)} KB gzipped`);
}
const kb = gz / 1024;
console.log(`initial JavaScript: ${(raw / 1024).toFixed(1)} KB, ${kb.toFixed(1)} KB gzipped (budget ${budgetKB} KB)`);
if (kb > budgetKB) {
  console.error(`bundle-size: over budget by ${(kb - budgetKB).toFixed(1)} KB`);
  process.exit(1);
}
