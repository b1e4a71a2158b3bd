// Runs the browser tests against a mesh of their own: starts it (mesh.mjs), runs every
// e2e/*.test.mjs with node's test runner (standard TAP-like summary), stops the mesh with
// SIGINT. With TASKMESH_URL set, uses that running mesh instead of starting one.
//
//   node e2e/run.mjs [extra node --test arguments]
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { startMesh } from "./mesh.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(here).filter((f) => f.endsWith(".test.mjs")).sort().map((f) => join(here, f));

let mesh;
let url = process.env.TASKMESH_URL;
if (!url) {
  mesh = await startMesh();
  url = mesh.url;
}
const stop = async () => {
  if (mesh) {
    process.stderr.write("==> stopping the mesh\n");
    await mesh.stop();
    mesh = undefined;
  }
};
process.on("SIGINT", () => void stop().then(() => process.exit(130)));
process.on("SIGTERM", () => void stop().then(() => process.exit(143)));

process.stderr.write(`==> browser tests against ${url}\n`);
const code = await new Promise((res) => {
  const extra = process.argv.slice(2);
  const reporter = extra.some((a) => a.startsWith("--test-reporter")) ? [] : ["--test-reporter=spec"];
  const child = spawn(process.execPath, ["--test", "--test-concurrency=1", ...reporter, ...extra, ...files], {
    stdio: "inherit",
    env: { ...process.env, TASKMESH_URL: url, TASKMESH_LOG_DIR: mesh?.logDir ?? "" },
  });
  child.on("exit", (c, sig) => res(c ?? (sig ? 1 : 0)));
});
await stop();
process.exit(code);
