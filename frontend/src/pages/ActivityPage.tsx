import { useMemo } from "react";
import { Field } from "../forms/Field";
import { Link } from "react-router";
import { useUrlState } from "../lib/useUrlState";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useInfiniteQuery } from "@connectrpc/connect-query";
import { AuditService, type AuditEntry } from "../gen/taskmesh/audit/v1/audit_pb";
import { TaskEventType } from "../gen/taskmesh/events/v1/events_pb";
import { useMe } from "../auth/useMe";
import { useTags } from "../tasks/useTags";
import { diffTasks } from "../tasks/taskDiff";
import { formatInstant, zonedToInstant } from "../lib/time";
import { TaskDiff } from "../components/TaskDiff";
import { EmptyState, ErrorMessage, Spinner } from "../components/Status";

const types: [string, TaskEventType, string][] = [
  ["created", TaskEventType.CREATED, "Created"],
  ["updated", TaskEventType.UPDATED, "Updated"],
  ["completed", TaskEventType.COMPLETED, "Completed"],
  ["reopened", TaskEventType.REOPENED, "Reopened"],
  ["deleted", TaskEventType.DELETED, "Deleted"],
  ["restored", TaskEventType.RESTORED, "Restored"],
];
const typeLabel = new Map(types.map(([, t, l]) => [t, l]));

const isDate = (v: string | null): v is string => !!v && /^\d{4}-\d{2}-\d{2}$/.test(v);
const nextDay = (d: string) => {
  const [y, m, dd] = d.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, dd + 1)).toISOString().slice(0, 10);
};

type ActivityFilter = { types: string[]; from: string; to: string };

function filterFromParams(p: URLSearchParams): ActivityFilter {
  const from = p.get("from");
  const to = p.get("to");
  return {
    types: (p.get("types") ?? "").split(",").filter((k) => types.some(([key]) => key === k)),
    from: isDate(from) ? from : "",
    to: isDate(to) ? to : "",
  };
}

function paramsFromFilter(f: ActivityFilter): URLSearchParams {
  const p = new URLSearchParams();
  if (f.types.length) p.set("types", f.types.join(","));
  if (f.from) p.set("from", f.from);
  if (f.to) p.set("to", f.to);
  return p;
}

/** ActivityPage is the audit log: type and date filters (in the URL), pages, and what changed. */
export function ActivityPage() {
  const [filter, setFilter] = useUrlState(filterFromParams, paramsFromFilter);
  const { tz, user } = useMe();
  const tags = useTags();
  const { types: selected, from, to } = filter;
  const update = (k: keyof ActivityFilter, v: string) => setFilter(k === "types" ? { types: v ? v.split(",") : [] } : { [k]: v });
  const input = useMemo(
    () => ({
      types: types.filter(([k]) => selected.includes(k)).map(([, t]) => t),
      occurredAfter: isDate(from) ? timestampFromDate(zonedToInstant(from, "00:00", tz)) : undefined,
      occurredBefore: isDate(to) ? timestampFromDate(zonedToInstant(nextDay(to), "00:00", tz)) : undefined,
      pageSize: 20,
      pageToken: "",
    }),
    [selected.join(), from, to, tz],
  );
  const q = useInfiniteQuery(AuditService.method.listAuditEntries, input, {
    pageParamKey: "pageToken",
    getNextPageParam: (last) => last.nextPageToken || undefined,
    enabled: !!user,
  });
  const entries = q.data?.pages.flatMap((p) => p.entries) ?? [];
  const tagName = (id: string) => tags.byId.get(id)?.name ?? "(deleted tag)";
  return (
    <section className="page activity" aria-labelledby="activity-title">
      <div className="page-head">
        <h1 id="activity-title">Activity</h1>
      </div>
      <div className="filters card">
        <fieldset className="field inline-choices">
          <legend>Kind of change</legend>
          {types.map(([k, , label]) => (
            <label key={k} className="check-label">
              <input
                type="checkbox"
                checked={selected.includes(k)}
                onChange={() => update("types", (selected.includes(k) ? selected.filter((x) => x !== k) : [...selected, k]).join(","))}
              />
              {label}
            </label>
          ))}
        </fieldset>
        <div className="row wrap">
          <Field label="From" className="compact">
            <input type="date" value={isDate(from) ? from : ""} onChange={(e) => update("from", e.target.value)} />
          </Field>
          <Field label="To" className="compact">
            <input type="date" value={isDate(to) ? to : ""} onChange={(e) => update("to", e.target.value)} />
          </Field>
        </div>
      </div>
      {q.isPending ? (
        <Spinner label="Loading activity…" />
      ) : q.isError ? (
        <ErrorMessage error={q.error} retry={() => void q.refetch()} />
      ) : entries.length === 0 ? (
        <EmptyState title="No activity here.">
          <p>Changes to your tasks show up here.</p>
        </EmptyState>
      ) : (
        <>
          <ol className="audit-list" aria-label="Changes, newest first">
            {entries.map((e) => (
              <AuditEntryItem key={e.id} entry={e} tz={tz} tagName={tagName} />
            ))}
          </ol>
          {q.hasNextPage && (
            <div className="list-end">
              <button type="button" className="button" disabled={q.isFetchingNextPage} onClick={() => void q.fetchNextPage()}>
                {q.isFetchingNextPage ? "Loading…" : "Older changes"}
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function AuditEntryItem({ entry, tz, tagName }: { entry: AuditEntry; tz: string; tagName: (id: string) => string }) {
  const title = entry.after?.title || entry.before?.title || "(untitled)";
  const changes = diffTasks(entry.before, entry.after, tagName, tz);
  const kind = typeLabel.get(entry.type) ?? "Changed";
  return (
    <li className="audit-entry" data-testid="audit-entry">
      <div className="row wrap">
        <span className={`event-type event-${kind.toLowerCase()}`}>{kind}</span>
        <Link to={`/tasks/${entry.taskId}`} className="audit-title">
          {title}
        </Link>
        <span className="spacer" />
        <time className="muted" dateTime={entry.occurredAt ? timestampDate(entry.occurredAt).toISOString() : undefined}>
          {entry.occurredAt ? formatInstant(timestampDate(entry.occurredAt), tz, true) : ""}
        </time>
      </div>
      <details>
        <summary>What changed ({changes.length})</summary>
        <TaskDiff changes={changes} />
      </details>
    </li>
  );
}
