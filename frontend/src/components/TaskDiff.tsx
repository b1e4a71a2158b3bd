import type { FieldChange } from "../tasks/taskDiff";

/** TaskDiff shows changed fields as a before/after table. */
export function TaskDiff({ changes }: { changes: FieldChange[] }) {
  if (changes.length === 0) return <p className="muted">No visible field changed.</p>;
  return (
    <table className="diff">
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.field}>
            <th scope="row">{c.field}</th>
            <td className="diff-before">{c.before ? <del>{c.before}</del> : <span className="muted">—</span>}</td>
            <td className="diff-after">{c.after ? <ins>{c.after}</ins> : <span className="muted">—</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
