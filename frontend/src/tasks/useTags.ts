import { useMemo } from "react";
import { useQuery } from "@connectrpc/connect-query";
import { TagService, type Tag } from "../gen/taskmesh/task/v1/tag_pb";

/**
 * useTags lists the user's tags (with counts) and indexes them by id. How long the list
 * stays fresh is set for the key (setLiveFreshness): task changes patch the counts.
 */
export function useTags() {
  const q = useQuery(TagService.method.listTags, {});
  const tags = q.data?.tags;
  const byId = useMemo(() => new Map<string, Tag>((tags ?? []).map((t) => [t.id, t])), [tags]);
  return { ...q, tags: tags ?? [], byId };
}
