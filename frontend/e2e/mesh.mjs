// Starts the whole Taskmesh mesh for the browser tests and stops it: a private Redis
// (redis-server on a free port, nothing on disk, so the tests' pub/sub never mixes with
// `make run`'s), a database of its own (TASKMESH_BROWSER_DATABASE_URL, default database
// taskmesh_browser on the local server; taskmesh-dev creates it), and cmd/taskmesh-dev
// built and run with a run directory of its own.
//
// Two meshes on one machine find each other's apps through mDNS: do not run the browser
// tests while `make run` or the Go end-to-end tests run.
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

function onPath(cmd) {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** freePort asks the kernel for an unused loopback port. */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function waitForLine(child, pattern, timeoutMs, what, logFile) {
  return new Promise((res, rej) => {
    let buf = "";
    const timer = setTimeout(() => rej(new Error(`${what}: not ready after ${timeoutMs / 1000}s (see ${logFile})`)), timeoutMs);
    const onData = (d) => {
      buf += d.toString();
      const m = pattern.exec(buf);
      if (m) {
        clearTimeout(timer);
        child.stdout.off("data", onData);
        res(m);
      }
    };
    child.stdout.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      rej(new Error(`${what} exited with ${code} before it was ready:\n${buf.slice(-4000)}`));
    });
  });
}

function stop(child, timeoutMs) {
  return new Promise((res) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return res();
    const t = setTimeout(() => {
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("exit", () => {
      clearTimeout(t);
      res();
    });
    child.kill("SIGINT");
  });
}

/**
 * startMesh builds and starts the mesh; it resolves { url, stop, logDir } once taskmesh-dev
 * prints "Taskmesh is running". The frontend must already be built (frontend/dist).
 */
export async function startMesh({ log = (s) => process.stderr.write(s + "\n") } = {}) {
  const runDir = mkdtempSync(join(tmpdir(), "taskmesh-browser-"));
  mkdirSync(join(runDir, "bin"), { recursive: true });
  const children = [];
  const stopAll = async () => {
    for (const c of children.reverse()) await stop(c, 20_000);
  };
  try {
    let redisAddr = process.env.TASKMESH_BROWSER_REDIS_ADDR;
    if (!redisAddr && !onPath("redis-server")) {
      redisAddr = process.env.REDIS_ADDR ?? "127.0.0.1:6379";
      log(`==> no redis-server here: the mesh uses the Redis at ${redisAddr}`);
    }
    if (!redisAddr) {
      const port = await freePort();
      const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      children.push(redis);
      await waitForLine(redis, /Ready to accept connections/, 20_000, "redis-server", "stdout");
      redisAddr = `127.0.0.1:${port}`;
    }
    log(`==> building cmd/taskmesh-dev`);
    const bin = join(runDir, "bin", "taskmesh-dev");
    execFileSync("go", ["build", "-o", bin, "./cmd/taskmesh-dev"], { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"] });
    const logFile = join(runDir, "taskmesh-dev.log");
    // Ports are picked free and then bound by other processes, so a start can lose a race
    // with something else on the machine: try again a couple of times.
    for (let attempt = 1; ; attempt++) {
      const webPort = await freePort();
      log(`==> starting the mesh (run dir ${runDir})`);
      const out = openSync(logFile, "a");
      const mesh = spawn(bin, ["-web", `127.0.0.1:${webPort}`, "-run-dir", runDir, "-wait", "15m"], {
        cwd: repoRoot,
        env: {
          ...process.env,
          REDIS_ADDR: redisAddr,
          DATABASE_URL: process.env.TASKMESH_BROWSER_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/taskmesh_browser?sslmode=disable",
        },
        stdio: ["ignore", "pipe", out],
      });
      children.push(mesh);
      mesh.stdout.on("data", (d) => process.stderr.write(d));
      try {
        const m = await waitForLine(mesh, /Taskmesh is running: open (\S+)/, 15 * 60_000, "taskmesh-dev", logFile);
        return { url: m[1], logDir: join(runDir, "logs"), runDir, stop: stopAll };
      } catch (e) {
        children.splice(children.indexOf(mesh), 1);
        await stop(mesh, 20_000);
        if (attempt >= 3) throw e;
        log(`==> the mesh did not start (${e.message.split("\n")[0]}); trying again`);
      }
    }
  } catch (e) {
    await stopAll();
    throw e;
  }
}
