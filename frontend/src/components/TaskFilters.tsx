import { useState } from "react";
import type { Tag } from "../gen/taskmesh/task/v1/tag_pb";
import { Field } from "../forms/Field";
import { defaultDescFor, defaultView, isFiltered, type PriorityKey, type SortKey, type StatusFilter, type TaskListView } from "../tasks/listParams";
import { TagChip } from "./TagChip";

type Props = {
  view: TaskListView;
  tags: Tag[];
  onChange: (patch: Partial<TaskListView>) => void;
};

const priorities: [PriorityKey, string][] = [
  ["high", "High"],
  ["medium", "Medium"],
  ["low", "Low"],
];

/** TaskFilters: status, priorities, tags (all must match), due range, overdue, and sort. */
export function TaskFilters({ view, tags, onChange }: Props) {
  // Open on wide screens, and on phones when a filter is on; folded otherwise to save room.
  const [open] = useState(() => isFiltered(view) || typeof window.matchMedia !== "function" || window.matchMedia("(min-width: 641px)").matches);
  const toggle = <T,>(list: T[], v: T) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  return (
    <details className="filters" open={open}>
      <summary>Filters and sort</summary>
      <div className="filters-grid">
        <Field label="Status">
          <select value={view.status} onChange={(e) => onChange({ status: e.target.value as StatusFilter })}>
            <option value="all">All</option>
            <option value="pending">Pending</option>
            <option value="completed">Completed</option>
          </select>
        </Field>
        <fieldset className="field inline-choices">
          <legend>Priority</legend>
          {priorities.map(([k, label]) => (
            <label key={k} className="check-label">
              <input type="checkbox" checked={view.priorities.includes(k)} onChange={() => onChange({ priorities: toggle(view.priorities, k) })} />
              {label}
            </label>
          ))}
        </fieldset>
        <Field label="Due from">
          <input type="date" value={view.dueFrom} onChange={(e) => onChange({ dueFrom: e.target.value })} />
        </Field>
        <Field label="Due to">
          <input type="date" value={view.dueTo} onChange={(e) => onChange({ dueTo: e.target.value })} />
        </Field>
        <label className="check-label field-check">
          <input type="checkbox" checked={view.overdue} onChange={(e) => onChange({ overdue: e.target.checked })} />
          Overdue only
        </label>
        <div className="field sort-field">
          <label htmlFor="sort-by">Sort by</label>
          <div className="row">
            <select id="sort-by" value={view.sort} onChange={(e) => {
              const sort = e.target.value as SortKey;
              onChange({ sort, desc: defaultDescFor(sort) });
            }}>
              <option value="created">Created</option>
              <option value="updated">Updated</option>
              <option value="due">Due date</option>
              <option value="priority">Priority</option>
              <option value="title">Title</option>
            </select>
            <button
              type="button"
              className="button"
              aria-label={view.desc ? "Descending; switch to ascending" : "Ascending; switch to descending"}
              onClick={() => onChange({ desc: !view.desc })}
            >
              {view.desc ? "↓ Desc" : "↑ Asc"}
            </button>
          </div>
        </div>
      </div>
      {tags.length > 0 && (
        <fieldset className="field tag-filter">
          <legend>Tags (all selected must match)</legend>
          <div className="chips">
            {tags.map((t) => (
              <TagChip key={t.id} tag={t} selected={view.tags.includes(t.id)} onToggle={() => onChange({ tags: toggle(view.tags, t.id) })} />
            ))}
          </div>
        </fieldset>
      )}
      {isFiltered(view) && (
        <button type="button" className="link-button" onClick={() => onChange({ ...defaultView, q: view.q, sort: view.sort, desc: view.desc })}>
          Clear filters
        </button>
      )}
    </details>
  );
}
