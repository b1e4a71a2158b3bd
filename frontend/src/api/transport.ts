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
 * createApp builds the session store and the Connect transport (Connect protocol, JSON,
 * through the gateway at baseUrl). Refresh calls go through a transport without the auth
 * interceptor.
 */
export function createApp(baseUrl: string, storage: Storage = window.localStorage): App {
  const bare = createConnectTransport({ baseUrl });
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
  const transport = createConnectTransport({ baseUrl, interceptors: [authInterceptor(session)] });
  return { session, transport, baseUrl };
}
