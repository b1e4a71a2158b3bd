import { skipToken, useQuery } from "@connectrpc/connect-query";
import { TaskService, type Due, type RecurrenceRule } from "../gen/taskmesh/task/v1/task_pb";
import { describeDue } from "../tasks/due";
import { describeRule } from "../tasks/recurrenceText";
import { messageOf, serverFieldErrors } from "../api/errors";

/** PREVIEW_COUNT occurrences are shown before saving. */
export const PREVIEW_COUNT = 6;

/** OccurrencePreview lists the next occurrences of a rule (PreviewOccurrences), the first one included. */
export function OccurrencePreview({ rule, start, tz }: { rule: RecurrenceRule | undefined; start: Due | undefined; tz: string }) {
  const q = useQuery(TaskService.method.previewOccurrences, rule && start ? { rule, start, count: PREVIEW_COUNT } : skipToken, {
    placeholderData: (prev) => prev,
    retry: false,
  });
  if (!rule || !start) return null;
  const fieldErrors = q.error ? Object.values(serverFieldErrors(q.error)) : [];
  return (
    <section className="occurrence-preview" aria-labelledby="preview-title" aria-busy={q.isFetching}>
      <h3 id="preview-title">Next occurrences</h3>
      <p className="hint">{describeRule(rule)}</p>
      {q.isPending ? (
        <p className="muted">Working them out…</p>
      ) : q.isError ? (
        <p className="field-error" role="alert">
          {fieldErrors[0] ?? messageOf(q.error)}
        </p>
      ) : (
        <ol data-testid="occurrences">
          {q.data.occurrences.map((o, i) => (
            <li key={i}>{describeDue(o, tz)}</li>
          ))}
        </ol>
      )}
    </section>
  );
}
