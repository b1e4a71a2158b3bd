// Measures the web app's two wire formats through the real gateway: connect-web's
// transport with JSON (the Connect protocol's default) against binary protobuf
// (useBinaryFormat). It signs up a fresh user, creates 1000 tasks, then times the same
// calls in both formats, interleaved so that load on the machine hits both alike:
//
//   ListTasks, a page of 50 (the size a list asks for by default)
//   ListTasks, a page of 200 (the most one page holds)
//   SyncTasks from 0, 1000 tasks in one answer (a tab catching up)
//
// It prints p50/p99 of the round trip (request, transcoding, decoding into messages) and
// the bytes of one answer on the wire. It only measures; it asserts nothing.
//
//   node scripts/wire-format-bench.mjs                 # starts a mesh of its own (needs dist/)
//   TASKMESH_URL=http://127.0.0.1:8080 node scripts/wire-format-bench.mjs
//   BENCH_ROUNDS=100 node scripts/wire-format-bench.mjs
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { runnerImport } from "vite";
import { startMesh } from "../e2e/mesh.mjs";

// The generated code is TypeScript: Vite's module runner loads it as the app's build does.
const gen = (path) => runnerImport(fileURLToPath(new URL(`../src/gen/${path}`, import.meta.url))).then((r) => r.module);
const { AuthService } = await gen("taskmesh/auth/v1/auth_pb.ts");
const { TaskService } = await gen("taskmesh/task/v1/task_pb.ts");

const rounds = Number(process.env.BENCH_ROUNDS ?? 60);
let mesh;
let baseUrl = process.env.TASKMESH_URL;
if (!baseUrl) {
  mesh = await startMesh();
  baseUrl = mesh.url;
}

try {
  // Bytes on the wire: what fetch received before decoding (content-length, or the body).
  let lastWire = { bytes: 0, encoding: "" };
  const measuringFetch = async (input, init) => {
    const res = await fetch(input, init);
    const body = new Uint8Array(await res.clone().arrayBuffer());
    const len = res.headers.get("content-length");
    lastWire = { bytes: len ? Number(len) : body.length, encoding: res.headers.get("content-encoding") ?? "identity" };
    return res;
  };

  const auth = createClient(AuthService, createConnectTransport({ baseUrl }));
  const signedUp = await auth.signUp({ email: `bench-${randomUUID().slice(0, 8)}@example.com`, password: "correct horse battery", displayName: "bench" });
  const token = signedUp.session?.accessToken;
  if (!token) throw new Error("sign-up returned no session");
  const bearer = (next) => (req) => {
    req.header.set("Authorization", `Bearer ${token}`);
    return next(req);
  };
  const clients = (fetchImpl) => ({
    json: createClient(TaskService, createConnectTransport({ baseUrl, interceptors: [bearer], fetch: fetchImpl })),
    binary: createClient(TaskService, createConnectTransport({ baseUrl, interceptors: [bearer], fetch: fetchImpl, useBinaryFormat: true })),
  });
  const timed = clients(globalThis.fetch);
  const sized = clients(measuringFetch);

  process.stderr.write("==> creating 1000 tasks\n");
  const words = ["buy", "call", "plan", "fix", "write", "read", "book", "pay", "clean", "send"];
  for (let i = 0; i < 1000; i += 20) {
    await Promise.all(
      Array.from({ length: 20 }, (_, j) =>
        timed.binary.createTask({
          task: {
            title: `${words[(i + j) % 10]} item ${i + j}`,
            description: `Task ${i + j} of the wire-format benchmark, with a line of text like a real one.`,
            priority: (i + j) % 4,
          },
        }),
      ),
    );
  }

  const calls = {
    "ListTasks 50": (c) => c.listTasks({ pageSize: 50 }).then((r) => r.tasks.length),
    "ListTasks 200": (c) => c.listTasks({ pageSize: 200 }).then((r) => r.tasks.length),
    "SyncTasks 1000": (c) => c.syncTasks({ sinceChangeSeq: 0n, pageSize: 1000 }).then((r) => r.tasks.length),
  };
  const pct = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  };
  const rows = [];
  for (const [name, call] of Object.entries(calls)) {
    const n = { json: await call(timed.json), binary: await call(timed.binary) }; // warm up
    if (n.json !== n.binary) throw new Error(`${name}: ${n.json} tasks in JSON, ${n.binary} in binary`);
    const times = { json: [], binary: [] };
    for (let r = 0; r < rounds; r++) {
      for (const format of r % 2 ? ["binary", "json"] : ["json", "binary"]) {
        const t0 = performance.now();
        await call(timed[format]);
        times[format].push(performance.now() - t0);
      }
    }
    for (const format of ["json", "binary"]) {
      await call(sized[format]);
      rows.push({
        call: `${name} (${n.json} tasks)`,
        format,
        p50_ms: pct(times[format], 50).toFixed(1),
        p99_ms: pct(times[format], 99).toFixed(1),
        wire_bytes: lastWire.bytes,
        encoding: lastWire.encoding,
      });
    }
  }
  console.log(`wire formats through the gateway at ${baseUrl}, ${rounds} rounds each, Node ${process.version}`);
  console.table(rows);
} finally {
  await mesh?.stop();
}
