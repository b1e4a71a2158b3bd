import { describe, expect, it, vi } from "vitest";
import { RefreshRejected, SessionStore, STORAGE_KEY, type StoredSession } from "./session";

const now = 1_000_000_000_000;
const session = (n: number, accessIn = 15 * 60_000): StoredSession => ({
  accessToken: `access-${n}`,
  accessExpiresAt: now + accessIn,
  refreshToken: `refresh-${n}`,
  refreshExpiresAt: now + 30 * 86400_000,
});

function store(refreshFn: (t: string) => Promise<StoredSession>, locks?: { request<T>(n: string, cb: () => Promise<T>): Promise<T> }) {
  return new SessionStore(localStorage, refreshFn, () => now, locks);
}

describe("SessionStore", () => {
  it("hands out the stored token while it is fresh", async () => {
    const refresh = vi.fn();
    const s = store(refresh);
    s.set(session(1));
    expect(await s.accessToken()).toBe("access-1");
    expect(refresh).not.toHaveBeenCalled();
  });

  it("refreshes once for concurrent callers when the token is about to expire", async () => {
    let calls = 0;
    const s = store(async (t) => {
      calls++;
      expect(t).toBe("refresh-1");
      await new Promise((r) => setTimeout(r, 5));
      return session(2);
    });
    s.set(session(1, 30_000)); // inside the refresh margin
    const tokens = await Promise.all([s.accessToken(), s.accessToken(), s.accessToken()]);
    expect(tokens).toEqual(["access-2", "access-2", "access-2"]);
    expect(calls).toBe(1);
    expect(JSON.parse(localStorage.getItem(STORAGE_KEY)!).refreshToken).toBe("refresh-2");
  });

  it("uses the session another tab already rotated instead of refreshing again", async () => {
    const refresh = vi.fn();
    // A lock that lets "another tab" rotate the session before our turn.
    const locks = {
      async request<T>(_: string, cb: () => Promise<T>) {
        localStorage.setItem(STORAGE_KEY, JSON.stringify(session(7)));
        return cb();
      },
    };
    const s = store(refresh, locks);
    s.set(session(1));
    expect((await s.refresh("access-1"))?.accessToken).toBe("access-7");
    expect(refresh).not.toHaveBeenCalled();
  });

  it("ends the session as expired when the refresh token is refused", async () => {
    const s = store(async () => {
      throw new RefreshRejected();
    });
    s.set(session(1, 0));
    const seen = vi.fn();
    s.subscribe(seen);
    expect(await s.accessToken()).toBeNull();
    expect(s.get()).toBeNull();
    expect(s.endReason).toBe("expired");
    expect(seen).toHaveBeenCalled();
  });

  it("keeps the session on a network error", async () => {
    const s = store(async () => {
      throw new Error("offline");
    });
    s.set(session(1, 0));
    await expect(s.refresh("access-1")).rejects.toThrow("offline");
    expect(s.get()?.refreshToken).toBe("refresh-1");
  });
});
