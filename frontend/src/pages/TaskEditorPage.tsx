import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { create } from "@bufbuild/protobuf";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { CreateTaskRequestSchema, GetTaskResponseSchema, Priority, TaskService, TaskStatus, type Task } from "../gen/taskmesh/task/v1/task_pb";
import { useMe } from "../auth/useMe";
import { useTags } from "../tasks/useTags";
import { applyTask, findCachedTask } from "../tasks/taskCache";
import { useTaskActions } from "../tasks/useTaskActions";
import { changedPaths, draftFromTask, emptyDraft, ruleFromDraft, dueFromDraft, taskFromDraft, type TaskDraft } from "../forms/taskDraft";
import { validateMessage, warmValidator } from "../forms/validate";
import { Field } from "../forms/Field";
import { codeOf, errorFor, messageOf, serverFieldErrors, type FieldErrors } from "../api/errors";
import { TagPicker } from "../components/TagPicker";
import { DueField } from "../components/DueField";
import { RemindersEditor } from "../components/RemindersEditor";
import { RecurrencePicker } from "../components/RecurrencePicker";
import { OccurrencePreview } from "../components/OccurrencePreview";
import { ErrorMessage, Spinner } from "../components/Status";
import { useToasts } from "../components/Toasts";
import { useDebounced } from "../lib/useDebounced";
import { toDateTimeInput } from "../lib/time";

/** goBack returns to the page the user came from (the dashboard with its filters), or home. */
function useGoBack() {
  const navigate = useNavigate();
  return () => {
    const idx = (window.history.state as { idx?: number } | null)?.idx ?? 0;
    if (idx > 0) navigate(-1);
    else navigate("/", { replace: true });
  };
}

/** TaskEditorPage is /tasks/new and /tasks/:id: the task form, loaded with the task when editing. */
export function TaskEditorPage() {
  const { id } = useParams();
  const { tz, user } = useMe();
  const qc = useQueryClient();
  const q = useQuery(TaskService.method.getTask, id ? { id } : { id: "" }, {
    enabled: !!id,
    initialData: () => {
      const t = id ? findCachedTask(qc, id) : undefined;
      return t ? create(GetTaskResponseSchema, { task: t }) : undefined;
    },
    initialDataUpdatedAt: 0,
  });
  if (!user) return <Spinner />;
  if (!id) return <TaskForm key="new" tz={tz} />;
  if (q.isPending) return <Spinner label="Loading task…" />;
  if (q.isError) {
    return (
      <section className="page">
        <h1>Task</h1>
        <ErrorMessage error={q.error} retry={codeOf(q.error) === Code.NotFound ? undefined : () => void q.refetch()}>
          {codeOf(q.error) === Code.NotFound ? "This task does not exist (or is not yours)." : undefined}
        </ErrorMessage>
        <Link to="/">Back to tasks</Link>
      </section>
    );
  }
  const task = q.data.task!;
  return <TaskForm key={task.id} task={task} tz={tz} />;
}

type Conflict = { fresh?: Task; loading: boolean };

/** TaskForm edits every field of a task; with task it updates it, without it creates one. */
function TaskForm({ task, tz }: { task?: Task; tz: string }) {
  const goBack = useGoBack();
  const qc = useQueryClient();
  const toasts = useToasts();
  const actions = useTaskActions();
  const tags = useTags();
  const [base, setBase] = useState<Task | undefined>(task);
  const original = useMemo(() => (base ? draftFromTask(base, tz) : emptyDraft()), [base, tz]);
  const [draft, setDraft] = useState<TaskDraft>(original);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const titleRef = useRef<HTMLInputElement>(null);
  const set = (patch: Partial<TaskDraft>) => setDraft((d) => ({ ...d, ...patch }));

  // Compile the validation rules while the user types, not when they press Save.
  useEffect(() => warmValidator(CreateTaskRequestSchema, create(CreateTaskRequestSchema, { task: {} })), []);
  useEffect(() => {
    if (!task) titleRef.current?.focus();
  }, [task]);

  const getTask = useMutation(TaskService.method.getTask);
  const onSaveError = (e: unknown) => {
    if (codeOf(e) === Code.Aborted && base) {
      setConflict({ loading: true });
      getTask.mutate(
        { id: base.id },
        {
          onSuccess: (res) => setConflict({ fresh: res.task, loading: false }),
          onError: () => setConflict({ loading: false }),
        },
      );
      return;
    }
    const f = serverFieldErrors(e);
    if (codeOf(e) === Code.NotFound && !Object.keys(f).length) f["task.tag_ids"] = "One of the tags no longer exists.";
    setErrors(Object.keys(f).length ? f : { "": messageOf(e) });
  };
  const saved = (t: Task | undefined, verb: string) => {
    if (t) applyTask(qc, t);
    toasts.show({ tone: "success", message: `${verb} “${t?.title ?? draft.title}”.` });
    goBack();
  };
  const createTask = useMutation(TaskService.method.createTask, { onSuccess: (r) => saved(r.task, "Created"), onError: onSaveError });
  const updateTask = useMutation(TaskService.method.updateTask, { onSuccess: (r) => saved(r.task, "Saved"), onError: onSaveError });
  const saving = createTask.isPending || updateTask.isPending;

  const submit = (e?: FormEvent, against: Task | undefined = base) => {
    e?.preventDefault();
    const built = taskFromDraft(draft, tz);
    const v = { ...validateMessage(CreateTaskRequestSchema, create(CreateTaskRequestSchema, { task: built.task })), ...built.errors };
    setErrors(v);
    if (Object.keys(v).length) {
      // Move focus to the first invalid control so keyboard and screen-reader users land on it.
      requestAnimationFrame(() => (document.querySelector("[aria-invalid=true]") as HTMLElement | null)?.focus());
      return;
    }
    if (!against) {
      createTask.mutate({ task: built.task });
      return;
    }
    const paths = changedPaths(draftFromTask(against, tz), draft);
    if (paths.length === 0) {
      goBack();
      return;
    }
    built.task.id = against.id;
    updateTask.mutate({ task: built.task, updateMask: create(FieldMaskSchema, { paths }), expectedVersion: against.version });
  };

  const hasDue = draft.dueKind !== "none";
  const debouncedRule = useDebounced(draft.recurrence && hasDue ? { r: draft.recurrence, d: draft } : null, 300);
  const preview = useMemo(() => {
    if (!debouncedRule) return { rule: undefined, start: undefined };
    return { rule: ruleFromDraft(debouncedRule.r), start: dueFromDraft(debouncedRule.d, tz) };
  }, [debouncedRule, tz]);

  const err = (path: string) => errorFor(errors, path);
  const defaultAt = toDateTimeInput(new Date(Date.now() + 3600_000), tz);

  return (
    <section className="page editor" aria-labelledby="editor-title">
      <div className="page-head">
        <h1 id="editor-title">{base ? "Edit task" : "New task"}</h1>
        {base && (
          <div className="row">
            <button type="button" className="button" onClick={() => (base.status === TaskStatus.COMPLETED ? actions.reopen(base) : actions.complete(base))}>
              {base.status === TaskStatus.COMPLETED ? "Reopen" : "Complete"}
            </button>
            <button
              type="button"
              className="button danger"
              onClick={() => {
                actions.remove(base);
                goBack();
              }}
            >
              Delete
            </button>
          </div>
        )}
      </div>
      {base?.deletedAt && (
        <p className="notice" role="status">
          This task is in the trash. Restore it from the activity log or with Undo.
        </p>
      )}
      {conflict && (
        <div className="conflict" role="alert">
          <p>
            <strong>This task was changed somewhere else</strong> while you were editing it
            {conflict.fresh ? ` (it is now “${conflict.fresh.title}”, version ${conflict.fresh.version})` : ""}.
          </p>
          {conflict.loading ? (
            <p>Loading the latest version…</p>
          ) : conflict.fresh ? (
            <div className="row wrap">
              <button
                type="button"
                className="button primary"
                onClick={() => {
                  const fresh = conflict.fresh!;
                  setBase(fresh);
                  setDraft(draftFromTask(fresh, tz));
                  setConflict(null);
                  setErrors({});
                  applyTask(qc, fresh);
                }}
              >
                Load the latest version
              </button>
              <button
                type="button"
                className="button"
                onClick={() => {
                  const fresh = conflict.fresh!;
                  setBase(fresh);
                  setConflict(null);
                  submit(undefined, fresh);
                }}
              >
                Save mine over it
              </button>
            </div>
          ) : (
            <p>The latest version could not be loaded. Reload the page to see it.</p>
          )}
        </div>
      )}
      <form onSubmit={submit} noValidate className="task-form">
        <Field label="Title" error={err("task.title")}>
          <input ref={titleRef} type="text" value={draft.title} onChange={(e) => set({ title: e.target.value })} maxLength={500} required />
        </Field>
        <Field label="Description" error={err("task.description")}>
          <textarea rows={3} value={draft.description} onChange={(e) => set({ description: e.target.value })} />
        </Field>
        <Field label="Priority" error={err("task.priority")}>
          <select value={draft.priority} onChange={(e) => set({ priority: Number(e.target.value) as Priority })}>
            <option value={Priority.UNSPECIFIED}>None</option>
            <option value={Priority.LOW}>Low</option>
            <option value={Priority.MEDIUM}>Medium</option>
            <option value={Priority.HIGH}>High</option>
          </select>
        </Field>
        <TagPicker tags={tags.tags} selected={draft.tagIds} onChange={(tagIds) => set({ tagIds })} error={err("task.tag_ids")} />
        <DueField draft={draft} tz={tz} onChange={set} error={err("task.due")} />
        <RemindersEditor
          reminders={draft.reminders}
          hasDue={hasDue}
          defaultAt={defaultAt}
          onChange={(reminders) => set({ reminders })}
          errorAt={(i) => err(`task.reminders[${i}]`)}
          error={errors["task.reminders"]}
        />
        <RecurrencePicker value={draft.recurrence} onChange={(recurrence) => set({ recurrence })} errorFor={err} />
        {draft.recurrence && !hasDue && <p className="hint">Pick a due date to see the next occurrences.</p>}
        <OccurrencePreview rule={preview.rule} start={preview.start} tz={tz} />
        {errors[""] && (
          <p className="form-error" role="alert">
            {errors[""]}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={saving}>
            {saving ? "Saving…" : base ? "Save changes" : "Create task"}
          </button>
          <button type="button" className="button" onClick={goBack}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
