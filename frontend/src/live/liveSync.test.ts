import { describe, expect, it, vi, beforeEach, afterEach } from "vitest";
import { create, toJson } from "@bufbuild/protobuf";
import { ServerFrameSchema } from "../gen/taskmesh/realtime/v1/realtime_pb";
import { TaskUpdateKind } from "../gen/taskmesh/events/v1/events_pb";
import { SyncTasksResponseSchema } from "../gen/taskmesh/task/v1/task_pb";
import { task } from "../test/fixtures";
import { backoffDelay, LiveSync, socketTarget, WS_PROTOCOL, type LiveSyncDeps } from "./liveSync";

class FakeSocket {
  static all: FakeSocket[] = [];
  onmessage: ((e: MessageEvent) => void) | null = null;
  onclose: ((e: CloseEvent) => void) | null = null;
  closed = false;
  constructor(
    public url: string,
    public protocols?: string | string[],
  ) {
    FakeSocket.all.push(this);
  }
  send() {}
  close(code = 1000) {
    this.closed = true;
    this.onclose?.({ code } as CloseEvent);
  }
  frame(init: Parameters<typeof create<typeof ServerFrameSchema>>[1]) {
    const json = toJson(ServerFrameSchema, create(ServerFrameSchema, init));
    this.onmessage?.({ data: JSON.stringify(json) } as MessageEvent);
  }
  serverClose(code: number) {
    this.onclose?.({ code } as CloseEvent);
  }
}

const flush = () => new Promise((r) => setTimeout(r, 0));

function setup(over: Partial<LiveSyncDeps> = {}) {
  const deps = {
    target: vi.fn(async (since: bigint) => socketTarget("http://test", "tok", since)),
    refreshToken: vi.fn(async () => {}),
    syncTasks: vi.fn(async () => create(SyncTasksResponseSchema, {})),
    onTask: vi.fn(),
    onReminder: vi.fn(),
    onNotificationsRead: vi.fn(),
    onReload: vi.fn(),
    onStatus: vi.fn(),
    WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    random: () => 1,
    ...over,
  } satisfies LiveSyncDeps;
  return { deps, live: new LiveSync(deps) };
}

beforeEach(() => {
  FakeSocket.all = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe("socketTarget", () => {
  it("offers the token as a subprotocol beside the app's and keeps it out of the URL", () => {
    const t = socketTarget("https://tasks.example.com/some/page", "hdr.pay-load.sig_n", 7n);
    expect(t.url).toBe("wss://tasks.example.com/ws?since=7");
    expect(t.protocols).toEqual([WS_PROTOCOL, "bearer.hdr.pay-load.sig_n"]);
    expect(socketTarget("http://127.0.0.1:8080", "t", 0n).url).toBe("ws://127.0.0.1:8080/ws?since=0");
  });
});

describe("LiveSync", () => {
  it("takes the change sequence of the first Ready and reloads what was loaded before", async () => {
    const { deps, live } = setup();
    live.start();
    await flush();
    expect(FakeSocket.all[0].url).toBe("ws://test/ws?since=0");
    expect(FakeSocket.all[0].protocols).toEqual([WS_PROTOCOL, "bearer.tok"]);
    FakeSocket.all[0].frame({ frame: { case: "ready", value: { userId: "u", changeSeq: 41n } } });
    expect(live.lastSeq).toBe(41n);
    expect(deps.onReload).toHaveBeenCalledOnce();
    expect(deps.onStatus).toHaveBeenLastCalledWith("live");
    live.stop();
  });

  it("applies updates in order and syncs when one is missing", async () => {
    const t43 = task({ changeSeq: 43n });
    const { deps, live } = setup({
      syncTasks: vi.fn(async (since: bigint) => {
        expect(since).toBe(41n);
        return create(SyncTasksResponseSchema, { tasks: [task({ changeSeq: 42n }), t43], changeSeq: 43n });
      }),
    });
    live.start();
    await flush();
    const ws = FakeSocket.all[0];
    ws.frame({ frame: { case: "ready", value: { changeSeq: 40n } } });
    ws.frame({ frame: { case: "update", value: { kind: TaskUpdateKind.TASK_UPSERTED, payload: { case: "task", value: task({ changeSeq: 41n }) }, changeSeq: 41n } } });
    expect(live.lastSeq).toBe(41n);
    // 42 never arrives: 43 reveals the gap.
    ws.frame({ frame: { case: "update", value: { kind: TaskUpdateKind.TASK_UPSERTED, payload: { case: "task", value: t43 }, changeSeq: 43n } } });
    await flush();
    expect(deps.syncTasks).toHaveBeenCalledOnce();
    expect(live.lastSeq).toBe(43n);
    expect(deps.onTask).toHaveBeenCalledTimes(4); // 41, 43 live, then 42 and 43 from the sync
    live.stop();
  });

  it("resumes from the last change after a disconnect, catching up through SyncTasks", async () => {
    vi.useFakeTimers();
    const { deps, live } = setup({
      syncTasks: vi.fn(async () => create(SyncTasksResponseSchema, { tasks: [task({ changeSeq: 11n })], changeSeq: 11n })),
    });
    live.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.all[0].frame({ frame: { case: "ready", value: { changeSeq: 10n } } });
    FakeSocket.all[0].serverClose(1001);
    expect(deps.onStatus).toHaveBeenLastCalledWith("reconnecting");
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeSocket.all).toHaveLength(2);
    expect(FakeSocket.all[1].url).toBe("ws://test/ws?since=10");
    FakeSocket.all[1].frame({ frame: { case: "ready", value: { changeSeq: 11n } } });
    FakeSocket.all[1].frame({ frame: { case: "syncRequired", value: { sinceChangeSeq: 10n, latestChangeSeq: 11n } } });
    await vi.advanceTimersByTimeAsync(0);
    expect(deps.syncTasks).toHaveBeenCalledWith(10n);
    expect(live.lastSeq).toBe(11n);
    expect(deps.onReload).toHaveBeenCalledOnce(); // only for the first connection
    live.stop();
  });

  it("syncs after a reconnect even from change 0 (a new account)", async () => {
    vi.useFakeTimers();
    const { deps, live } = setup({
      syncTasks: vi.fn(async () => create(SyncTasksResponseSchema, { tasks: [task({ changeSeq: 1n })], changeSeq: 1n })),
    });
    live.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.all[0].frame({ frame: { case: "ready", value: { changeSeq: 0n } } });
    FakeSocket.all[0].frame({ frame: { case: "syncRequired", value: { sinceChangeSeq: 0n, latestChangeSeq: 0n } } });
    expect(deps.syncTasks).not.toHaveBeenCalled();
    FakeSocket.all[0].serverClose(1006);
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeSocket.all[1].url).toBe("ws://test/ws?since=0");
    FakeSocket.all[1].frame({ frame: { case: "ready", value: { changeSeq: 1n } } });
    FakeSocket.all[1].frame({ frame: { case: "syncRequired", value: { sinceChangeSeq: 0n, latestChangeSeq: 1n } } });
    await vi.advanceTimersByTimeAsync(0);
    expect(deps.syncTasks).toHaveBeenCalledWith(0n);
    expect(deps.onTask).toHaveBeenCalledOnce();
    expect(live.lastSeq).toBe(1n);
    live.stop();
  });

  it("renews the token and reconnects at once when the server closes with 4001", async () => {
    const { deps, live } = setup();
    live.start();
    await flush();
    FakeSocket.all[0].frame({ frame: { case: "ready", value: { changeSeq: 1n } } });
    FakeSocket.all[0].serverClose(4001);
    await flush();
    await flush();
    expect(deps.refreshToken).toHaveBeenCalledOnce();
    expect(FakeSocket.all).toHaveLength(2);
    live.stop();
  });

  it("asks for a new token when the server closes with 4003, and stays stopped once signed out", async () => {
    let signedIn = true;
    const { deps, live } = setup({
      target: vi.fn(async (since: bigint) => (signedIn ? socketTarget("http://test", "tok", since) : null)),
      refreshToken: vi.fn(async () => {
        signedIn = false; // the refresh of an ended session is refused: signed out
      }),
    });
    live.start();
    await flush();
    FakeSocket.all[0].frame({ frame: { case: "ready", value: { changeSeq: 1n } } });
    FakeSocket.all[0].serverClose(4003);
    await flush();
    await flush();
    expect(deps.refreshToken).toHaveBeenCalledOnce();
    expect(FakeSocket.all).toHaveLength(1);
    expect(live.status).toBe("stopped");
  });

  it("backs off exponentially up to the cap, and stops when signed out", async () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 100, 1000, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay(3, 100, 1000, () => 0)).toBe(400);
    const { live } = setup({ target: vi.fn(async () => null) });
    live.start();
    await flush();
    expect(FakeSocket.all).toHaveLength(0);
    expect(live.status).toBe("stopped");
  });

  it("hands reminders to onReminder", async () => {
    const { deps, live } = setup();
    live.start();
    await flush();
    FakeSocket.all[0].frame({
      frame: { case: "update", value: { kind: TaskUpdateKind.REMINDER, payload: { case: "notification", value: { id: "n1", title: "Call Bob" } } } },
    });
    expect(deps.onReminder).toHaveBeenCalledWith(expect.objectContaining({ title: "Call Bob" }));
    live.stop();
  });

  it("hands inbox changes to onNotificationsRead, without touching the task sequence", async () => {
    const { deps, live } = setup();
    live.start();
    await flush();
    FakeSocket.all[0].frame({
      frame: {
        case: "update",
        value: { kind: TaskUpdateKind.NOTIFICATIONS_READ, payload: { case: "notificationsRead", value: { unreadCount: 3 } } },
      },
    });
    expect(deps.onNotificationsRead).toHaveBeenCalledWith(3);
    expect(deps.syncTasks).not.toHaveBeenCalled();
    live.stop();
  });
});
