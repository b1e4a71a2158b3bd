import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AuthService } from "../gen/taskmesh/auth/v1/auth_pb";
import { fromProto, RefreshRejected, SessionStore } from "./session";

/** Auth RPCs that take no access token. */
const PUBLIC_METHODS = new Set(["SignUp", "SignIn", "Refresh", "SignOut"]);

/**
 * authInterceptor sends "Authorization: Bearer <access token>" on every call but the
 * public auth ones, refreshing first when the token is about to expire; when the server
 * still answers Unauthenticated it refreshes once and retries once.
 */
export function authInterceptor(session: SessionStore): Interceptor {
  return (next) => async (req) => {
    if (req.service.typeName === AuthService.typeName && PUBLIC_METHODS.has(req.method.name)) {
      return next(req);
    }
    const token = await session.accessToken();
    if (token) req.header.set("Authorization", `Bearer ${token}`);
    try {
      return await next(req);
    } catch (e) {
      if (!token || ConnectError.from(e).code !== Code.Unauthenticated) throw e;
      const fresh = await session.refresh(token);
      if (!fresh) throw e;
      req.header.set("Authorization", `Bearer ${fresh.accessToken}`);
      return await next(req);
    }
  };
}

/** App is the wiring every component reaches through context: the session and transport. */
export type App = { session: SessionStore; transport: Transport; baseUrl: string };

/**
 * wireFormat is how RPCs travel: the Connect protocol with binary protobuf, not JSON.
 * Measured through the gateway (npm run bench:wire: connect-web in Node 20, 1000 tasks of
 * one user, JSON and binary interleaved, on a 2-core box shared with other builds), two
 * runs of 60 and 150 rounds, p50 / p99 in ms:
 *
 *   call                     JSON 60 r.     JSON 150 r.    binary 60 r.   binary 150 r.
 *   ListTasks, 50 tasks      17.4 / 48.3    29.4 / 92.4    14.5 / 84.4    23.9 / 79.2
 *   ListTasks, 200 tasks     24.1 / 81.3    37.2 / 175.7   20.4 / 137.0   34.7 / 207.5
 *   SyncTasks, 1000 tasks    79.6 / 234.7  222.1 / 719.3   47.6 / 122.1  105.4 / 586.2
 *
 * Bytes of one answer: 24 040 / 96 022 / 480 620 in JSON, 8 408 / 33 556 / 168 516 in
 * binary (the gateway does not compress). Binary is faster at the median in every case,
 * by half at 1000 tasks, where JSON costs the gateway a transcode from the services'
 * protobuf and the page a JSON parse; the p99s on a shared machine are noise either way.
 * The live WebSocket stays protojson (its own protocol, see realtime.proto).
 */
const wireFormat = { useBinaryFormat: true } as const;

/**
 * createApp builds the session store and the Connect transport (Connect protocol, binary
 * protobuf, through the gateway at baseUrl). Refresh calls go through a transport without
 * the auth interceptor.
 */
export function createApp(baseUrl: string, storage: Storage = window.localStorage): App {
  const bare = createConnectTransport({ baseUrl, ...wireFormat });
  const auth = createClient(AuthService, bare);
  const session = new SessionStore(storage, async (refreshToken) => {
    try {
      const res = await auth.refresh({ refreshToken });
      if (!res.session) throw new RefreshRejected();
      return fromProto(res.session);
    } catch (e) {
      const code = e instanceof ConnectError ? e.code : undefined;
      if (code === Code.Unauthenticated || code === Code.InvalidArgument) throw new RefreshRejected();
      throw e;
    }
  });
  const transport = createConnectTransport({ baseUrl, ...wireFormat, interceptors: [authInterceptor(session)] });
  return { session, transport, baseUrl };
}
