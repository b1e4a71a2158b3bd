import { useQuery } from "@connectrpc/connect-query";
import { AuthService, type User } from "../gen/taskmesh/auth/v1/auth_pb";
import { useSession } from "../api/AppContext";

/** useMe is the signed-in user (undefined while loading) and their time zone ("UTC" until known). */
export function useMe(): { user: User | undefined; tz: string; isLoading: boolean; error: unknown } {
  const signedIn = useSession() !== null;
  const q = useQuery(AuthService.method.getMe, {}, { enabled: signedIn, staleTime: 5 * 60_000 });
  const user = q.data?.user;
  return { user, tz: user?.timeZone || "UTC", isLoading: q.isLoading, error: q.error };
}
