import { fromJson } from "@bufbuild/protobuf";
import type { Notification } from "../gen/taskmesh/notification/v1/notification_pb";
import { ServerFrameSchema, type ServerFrame } from "../gen/taskmesh/realtime/v1/realtime_pb";
import { TaskUpdateKind } from "../gen/taskmesh/events/v1/events_pb";
import type { SyncTasksResponse, Task } from "../gen/taskmesh/task/v1/task_pb";

/** LiveStatus is what the header shows about live updates. */
export type LiveStatus = "connecting" | "live" | "reconnecting" | "stopped";

/** Close codes of the realtime protocol (proto/taskmesh/realtime/v1/realtime.proto). */
export const CLOSE_TOKEN_EXPIRED = 4001;
/** The session was signed out (in another tab or device): its tokens no longer work. */
export const CLOSE_SESSION_ENDED = 4003;
export const CLOSE_TOO_SLOW = 4008;

/** The app's WebSocket subprotocol, the one the server picks and echoes. */
export const WS_PROTOCOL = "taskmesh.v1";

/** Where and how to open the socket: the token is one of the offered subprotocols. */
export type SocketTarget = { url: string; protocols: string[] };

/**
 * socketTarget is the gateway's WebSocket endpoint for this page's origin. The access
 * token travels in the Sec-WebSocket-Protocol header as "bearer.<token>" (browsers cannot
 * set other headers on a WebSocket), never in the URL, where proxies and ingresses log it;
 * the server answers with WS_PROTOCOL only (pkg/wsauth).
 */
export function socketTarget(baseUrl: string, token: string, since: bigint): SocketTarget {
  const u = new URL("/ws", baseUrl);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  u.searchParams.set("since", since.toString());
  return { url: u.toString(), protocols: [WS_PROTOCOL, `bearer.${token}`] };
}

/** What LiveSync needs from the app; every callback must be cheap and must not throw. */
export type LiveSyncDeps = {
  /** Where to open the socket for since, with a fresh access token; null when signed out. */
  target: (since: bigint) => Promise<SocketTarget | null>;
  /** Renews the access token after the server closed the socket for expiry. */
  refreshToken: () => Promise<void>;
  /** SyncTasks(since). */
  syncTasks: (since: bigint) => Promise<SyncTasksResponse>;
  /** A task changed (or was deleted: deletedAt set). May repeat; apply idempotently. */
  onTask: (task: Task) => void;
  /** A reminder fired. */
  onReminder: (n: Notification) => void;
  /** Notifications were marked read (here or in another tab): the inbox changed. */
  onNotificationsRead: (unreadCount: number) => void;
  /**
   * The client's copy may be stale in ways SyncTasks cannot fix (first connection, or a
   * restored database): refetch what was loaded before openedAt.
   */
  onReload: (openedAt: number) => void;
  onStatus?: (s: LiveStatus) => void;
  WebSocketImpl?: typeof WebSocket;
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
};

/** backoffDelay: exponential with jitter (between half and all of base*2^attempt, capped). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(full / 2 + (random() * full) / 2);
}

/**
 * LiveSync keeps one WebSocket to realtime open for the signed-in user, reconnecting with
 * backoff. It remembers the highest change sequence it applied; on reconnect it passes it
 * as since and, when the server says changes were missed (or an update skips a number),
 * it catches up through SyncTasks, so no change is lost while offline.
 */
export class LiveSync {
  private ws: WebSocket | null = null;
  private stopped = true;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private openedAt = 0;
  /** The since this socket was opened with; null when the client had no position yet. */
  private connectSince: bigint | null = null;
  /** Highest change sequence applied; null until the first Ready. */
  lastSeq: bigint | null = null;
  status: LiveStatus = "stopped";

  constructor(private readonly deps: LiveSyncDeps) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000);
    this.setStatus("stopped");
  }

  /** reconnectNow skips the backoff wait (the browser came back online). */
  reconnectNow(): void {
    if (this.stopped || this.ws) return;
    clearTimeout(this.timer);
    this.attempt = 0;
    void this.connect();
  }

  private setStatus(s: LiveStatus) {
    if (this.status === s) return;
    this.status = s;
    this.deps.onStatus?.(s);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.setStatus(this.attempt === 0 && this.lastSeq === null ? "connecting" : "reconnecting");
    let target: SocketTarget | null;
    try {
      target = await this.deps.target(this.lastSeq ?? 0n);
    } catch {
      this.retry();
      return;
    }
    if (this.stopped) return;
    if (target === null) {
      this.stop();
      return;
    }
    this.connectSince = this.lastSeq;
    const WS = this.deps.WebSocketImpl ?? WebSocket;
    let ws: WebSocket;
    try {
      ws = new WS(target.url, target.protocols);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    this.openedAt = Date.now();
    ws.onmessage = (e: MessageEvent) => {
      if (this.ws !== ws) return;
      let frame: ServerFrame;
      try {
        frame = fromJson(ServerFrameSchema, JSON.parse(String(e.data)), { ignoreUnknownFields: true });
      } catch {
        return; // a frame this client does not understand
      }
      this.handle(frame);
    };
    ws.onclose = (e: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      // Either way the page asks for a new access token: after an expiry it gets one and
      // reconnects; after a sign-out elsewhere the refresh is refused, the session ends,
      // the page goes to sign-in and target() answers null, so no reconnect follows.
      if (e.code === CLOSE_TOKEN_EXPIRED || e.code === CLOSE_SESSION_ENDED) {
        this.setStatus("reconnecting");
        this.deps.refreshToken().then(
          () => void this.connect(),
          () => this.retry(),
        );
        return;
      }
      this.retry();
    };
  }

  private retry() {
    if (this.stopped) return;
    this.setStatus("reconnecting");
    const delay = backoffDelay(this.attempt++, this.deps.baseDelayMs ?? 500, this.deps.maxDelayMs ?? 30_000, this.deps.random ?? Math.random);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), delay);
  }

  private handle(frame: ServerFrame) {
    switch (frame.frame.case) {
      case "ready": {
        this.attempt = 0;
        this.setStatus("live");
        if (this.connectSince === null) {
          // First connection of this page: what it loaded may predate the socket. A 0
          // means the server cannot tell; SyncRequired then brings the latest.
          const seq = frame.frame.value.changeSeq;
          if (seq > 0n) this.lastSeq = seq;
          this.deps.onReload(this.openedAt);
        }
        break;
      }
      case "syncRequired": {
        const { sinceChangeSeq, latestChangeSeq } = frame.frame.value;
        if (this.connectSince === null) {
          // First connection: the page just reloaded what it shows (Ready); only the
          // position is needed.
          if (this.lastSeq === null || latestChangeSeq > this.lastSeq) this.lastSeq = latestChangeSeq;
        } else if (latestChangeSeq > 0n && sinceChangeSeq > latestChangeSeq) {
          // The server's history is behind ours (a restored database): start over.
          this.lastSeq = latestChangeSeq;
          this.deps.onReload(Date.now());
        } else {
          void this.sync();
        }
        break;
      }
      case "update": {
        const ev = frame.frame.value;
        if (ev.kind === TaskUpdateKind.REMINDER) {
          if (ev.payload.case === "notification") this.deps.onReminder(ev.payload.value);
          break;
        }
        if (ev.kind === TaskUpdateKind.NOTIFICATIONS_READ) {
          if (ev.payload.case === "notificationsRead") this.deps.onNotificationsRead(ev.payload.value.unreadCount);
          break;
        }
        if (ev.payload.case !== "task") break;
        this.deps.onTask(ev.payload.value);
        const seq = ev.changeSeq;
        if (this.lastSeq === null || seq === this.lastSeq + 1n) {
          if (!this.syncing) this.lastSeq = seq;
        } else if (seq > this.lastSeq) {
          void this.sync(); // a gap: fetch what we missed
        }
        break;
      }
    }
  }

  /** sync applies every change after lastSeq through SyncTasks, page by page. */
  sync(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      try {
        do {
          this.syncAgain = false;
          for (;;) {
            const since = this.lastSeq ?? 0n;
            const res = await this.deps.syncTasks(since);
            for (const t of res.tasks) this.deps.onTask(t);
            if (res.changeSeq > since) this.lastSeq = res.changeSeq;
            if (!res.hasMore || res.changeSeq <= since) break;
          }
        } while (this.syncAgain && !this.stopped);
      } catch {
        // Reconnecting resumes from lastSeq and asks again.
        this.ws?.close(4000);
      } finally {
        this.syncing = null;
      }
    })();
    return this.syncing;
  }
}
