import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Session } from "../gen/taskmesh/auth/v1/auth_pb";

/** StoredSession is the session as kept in localStorage (times in ms since the epoch). */
export type StoredSession = {
  accessToken: string;
  accessExpiresAt: number;
  refreshToken: string;
  refreshExpiresAt: number;
};

/** Why the session ended; shown on the sign-in page. */
export type EndReason = "signed-out" | "expired";

/** RefreshOutcome of one refresh attempt. */
export type RefreshFn = (refreshToken: string) => Promise<StoredSession>;

/** Thrown by a RefreshFn when the server refused the refresh token (not a network error). */
export class RefreshRejected extends Error {
  constructor() {
    super("refresh token refused");
    this.name = "RefreshRejected";
  }
}

export const STORAGE_KEY = "taskmesh.session";
const LOCK_NAME = "taskmesh.session.refresh";

/** Refresh this long before the access token expires. */
export const REFRESH_MARGIN_MS = 60_000;

/** fromProto converts the API's Session. */
export function fromProto(s: Session): StoredSession {
  return {
    accessToken: s.accessToken,
    accessExpiresAt: s.accessTokenExpiresAt ? timestampDate(s.accessTokenExpiresAt).getTime() : 0,
    refreshToken: s.refreshToken,
    refreshExpiresAt: s.refreshTokenExpiresAt ? timestampDate(s.refreshTokenExpiresAt).getTime() : 0,
  };
}

type Listener = () => void;

type LockLike = { request<T>(name: string, cb: () => Promise<T>): Promise<T> };

/**
 * SessionStore keeps the session in localStorage, shared by every tab of the app, and
 * refreshes it. Refresh tokens are single use (a reused one revokes the whole family), so
 * refreshes are serialized: within a tab by one in-flight promise, across tabs by a Web
 * Lock; inside the lock the stored session is read again, and when another tab already
 * rotated it that session is used instead of refreshing a second time.
 */
export class SessionStore {
  private inflight: Promise<StoredSession | null> | null = null;
  private listeners = new Set<Listener>();
  private cached: StoredSession | null | undefined;
  private raw: string | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Why the last session ended (until the next sign-in). */
  endReason: EndReason | null = null;

  constructor(
    private readonly storage: Storage,
    private readonly refreshFn: RefreshFn,
    private readonly now: () => number = () => Date.now(),
    private readonly locks: LockLike | undefined = typeof navigator !== "undefined"
      ? (navigator.locks as LockLike | undefined)
      : undefined,
  ) {
    if (typeof window !== "undefined") {
      window.addEventListener("storage", (e) => {
        if (e.key === STORAGE_KEY || e.key === null) {
          if (e.newValue === null && this.get() === null) this.endReason ??= "signed-out";
          this.emit();
        }
      });
    }
  }

  /** get returns the stored session, or null when signed out. */
  get(): StoredSession | null {
    const raw = this.storage.getItem(STORAGE_KEY);
    if (raw === this.raw && this.cached !== undefined) return this.cached;
    this.raw = raw;
    try {
      this.cached = raw ? (JSON.parse(raw) as StoredSession) : null;
    } catch {
      this.cached = null;
    }
    return this.cached;
  }

  /** set stores a new session (after sign-in or refresh) or removes it. */
  set(s: StoredSession | null, reason: EndReason = "signed-out"): void {
    if (s) {
      this.storage.setItem(STORAGE_KEY, JSON.stringify(s));
      this.endReason = null;
    } else {
      this.storage.removeItem(STORAGE_KEY);
      this.endReason = reason;
    }
    this.emit();
  }

  /** subscribe calls listener on every change, in this tab or another. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit() {
    this.schedule();
    for (const l of this.listeners) l();
  }

  /**
   * schedule refreshes silently shortly before the access token expires, so that the
   * live socket and idle pages keep working.
   */
  private schedule() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const s = this.get();
    if (!s || typeof window === "undefined") return;
    const wait = Math.max(s.accessExpiresAt - REFRESH_MARGIN_MS - this.now(), 1_000);
    this.timer = setTimeout(() => void this.refresh(s.accessToken).catch(() => undefined), Math.min(wait, 2 ** 31 - 1));
  }

  /** start arms the refresh timer for a session loaded at page start. */
  start(): void {
    this.schedule();
  }

  /**
   * accessToken returns a usable access token, refreshing first when it expires within
   * REFRESH_MARGIN_MS; null when signed out or when the session could not be renewed.
   */
  async accessToken(): Promise<string | null> {
    const s = this.get();
    if (!s) return null;
    if (s.accessExpiresAt - this.now() > REFRESH_MARGIN_MS) return s.accessToken;
    const next = await this.refresh(s.accessToken);
    return next?.accessToken ?? null;
  }

  /**
   * refresh renews the session whose access token is stale (or the current one). Network
   * errors are thrown (the session is kept); a refused refresh token ends the session as
   * expired and resolves null.
   */
  refresh(stale?: string): Promise<StoredSession | null> {
    if (!this.inflight) {
      const run = () => this.refreshLocked(stale);
      const p = this.locks ? this.locks.request(LOCK_NAME, run) : run();
      this.inflight = p.finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  private async refreshLocked(stale?: string): Promise<StoredSession | null> {
    const current = this.get();
    if (!current) return null;
    const now = this.now();
    // Another tab (or an earlier call) already rotated it: use theirs.
    if (stale !== undefined && current.accessToken !== stale && current.accessExpiresAt - now > REFRESH_MARGIN_MS) {
      return current;
    }
    if (current.refreshExpiresAt <= now) {
      this.set(null, "expired");
      return null;
    }
    try {
      const next = await this.refreshFn(current.refreshToken);
      this.set(next);
      return next;
    } catch (e) {
      if (e instanceof RefreshRejected) {
        // Our token may have been rotated by another tab between our read and the call.
        const after = this.get();
        if (after && after.refreshToken !== current.refreshToken) return after;
        this.set(null, "expired");
        return null;
      }
      throw e;
    }
  }
}
