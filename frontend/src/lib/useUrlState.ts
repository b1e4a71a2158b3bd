import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useSearchParams } from "react-router";

/**
 * useUrlState keeps a page's view state (filters, sort, search) in the query string, so
 * that it survives a reload and the Back button works. The router commits URL changes in a
 * transition; to stay instant and never lose a quick second change, the hook shows the
 * value it last wrote until the URL catches up, and builds each change on that value
 * rather than on the (possibly not yet committed) URL.
 */
export function useUrlState<T>(parse: (p: URLSearchParams) => T, serialize: (v: T) => URLSearchParams) {
  const [params, setParams] = useSearchParams();
  const fromUrl = useMemo(() => parse(params), [params, parse]);
  const [shown, setShown] = useState(fromUrl);
  const latest = useRef(fromUrl);
  const expected = useRef<{ search: string; at: number } | null>(null);

  useEffect(() => {
    const search = params.toString();
    const e = expected.current;
    if (e && Date.now() - e.at < 2000) {
      if (search === e.search) expected.current = null; // caught up with our own change
      return; // an intermediate URL of ours, or ours exactly: nothing to show anew
    }
    // Someone else moved the URL (Back, a link, a reload): show what it says.
    expected.current = null;
    latest.current = fromUrl;
    setShown(fromUrl);
  }, [params, fromUrl]);

  const update = useCallback(
    (patch: Partial<T>, opts: { replace?: boolean } = {}) => {
      const next = { ...latest.current, ...patch };
      latest.current = next;
      setShown(next);
      const search = serialize(next);
      expected.current = { search: search.toString(), at: Date.now() };
      setParams(search, { replace: opts.replace });
    },
    [serialize, setParams],
  );
  return [shown, update] as const;
}
