import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { CreateTagRequestSchema, TagService, UpdateTagRequestSchema, type Tag } from "../gen/taskmesh/task/v1/tag_pb";
import { useTags } from "../tasks/useTags";
import { queryKeys } from "../api/queryKeys";
import { codeOf, errorFor, messageOf, serverFieldErrors, type FieldErrors } from "../api/errors";
import { validateMessage } from "../forms/validate";
import { Field } from "../forms/Field";
import { TagChip } from "../components/TagChip";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { EmptyState, ErrorMessage, Spinner } from "../components/Status";
import { useToasts } from "../components/Toasts";

function tagErrors(e: unknown, name: string): FieldErrors {
  if (codeOf(e) === Code.AlreadyExists) return { name: `You already have a tag named “${name}”.` };
  const f = serverFieldErrors(e);
  return Object.keys(f).length ? f : { "": messageOf(e) };
}

/** TagsPage lists the user's tags with their task counts: create, rename, recolor, delete. */
export function TagsPage() {
  const tags = useTags();
  const [deleting, setDeleting] = useState<Tag | null>(null);
  const qc = useQueryClient();
  const toasts = useToasts();
  const del = useMutation(TagService.method.deleteTag, {
    onSuccess: () => {
      toasts.show({ message: `Deleted tag “${deleting?.name}”.` });
      setDeleting(null);
      void qc.invalidateQueries({ queryKey: queryKeys.listTags });
      void qc.invalidateQueries({ queryKey: queryKeys.listTasks });
    },
    onError: (e) => toasts.show({ tone: "error", message: messageOf(e) }),
  });
  return (
    <section className="page tags-page" aria-labelledby="tags-title">
      <div className="page-head">
        <h1 id="tags-title">Tags</h1>
      </div>
      <NewTagForm />
      {tags.isPending ? (
        <Spinner label="Loading tags…" />
      ) : tags.isError ? (
        <ErrorMessage error={tags.error} retry={() => void tags.refetch()} />
      ) : tags.tags.length === 0 ? (
        <EmptyState title="No tags yet.">
          <p>Tags group tasks: “work”, “home”, “errands”…</p>
        </EmptyState>
      ) : (
        <ul className="tag-list" aria-label="Your tags">
          {tags.tags.map((t) => (
            <TagRow key={t.id} tag={t} onDelete={() => setDeleting(t)} />
          ))}
        </ul>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete the tag “${deleting.name}”?`}
          confirmLabel="Delete tag"
          busy={del.isPending}
          onConfirm={() => del.mutate({ id: deleting.id })}
          onCancel={() => setDeleting(null)}
        >
          <p>
            It is taken off {deleting.taskCount === 1 ? "1 task" : `${deleting.taskCount} tasks`}; the tasks themselves stay.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function NewTagForm() {
  const qc = useQueryClient();
  const [name, setName] = useState("");
  const [color, setColor] = useState("#3B82F6");
  const [errors, setErrors] = useState<FieldErrors>({});
  const createTag = useMutation(TagService.method.createTag, {
    onSuccess: () => {
      setName("");
      setErrors({});
      void qc.invalidateQueries({ queryKey: queryKeys.listTags });
    },
    onError: (e) => setErrors(tagErrors(e, name.trim())),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const req = create(CreateTagRequestSchema, { name: name.trim(), color: color.toUpperCase() });
    const v = validateMessage(CreateTagRequestSchema, req);
    setErrors(v);
    if (!Object.keys(v).length) createTag.mutate(req);
  };
  return (
    <form className="new-tag card" onSubmit={submit} noValidate aria-label="New tag">
      <Field label="New tag name" error={errorFor(errors, "name")}>
        <input type="text" value={name} onChange={(e) => setName(e.target.value)} maxLength={50} />
      </Field>
      <Field label="Color" error={errorFor(errors, "color")} className="compact">
        <input type="color" value={color} onChange={(e) => setColor(e.target.value)} />
      </Field>
      <button type="submit" className="button primary" disabled={createTag.isPending}>
        Create tag
      </button>
      {errors[""] && (
        <p className="form-error" role="alert">
          {errors[""]}
        </p>
      )}
    </form>
  );
}

function TagRow({ tag, onDelete }: { tag: Tag; onDelete: () => void }) {
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(tag.name);
  const [color, setColor] = useState(tag.color);
  const [errors, setErrors] = useState<FieldErrors>({});
  const update = useMutation(TagService.method.updateTag, {
    onSuccess: () => {
      setEditing(false);
      setErrors({});
      void qc.invalidateQueries({ queryKey: queryKeys.listTags });
    },
    onError: (e) => setErrors(tagErrors(e, name.trim())),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const req = create(UpdateTagRequestSchema, { id: tag.id });
    if (name.trim() !== tag.name) req.name = name.trim();
    if (color.toUpperCase() !== tag.color.toUpperCase()) req.color = color.toUpperCase();
    if (req.name === undefined && req.color === undefined) {
      setEditing(false);
      return;
    }
    const v = validateMessage(UpdateTagRequestSchema, req);
    setErrors(v);
    if (!Object.keys(v).length) update.mutate(req);
  };
  if (editing) {
    return (
      <li className="tag-row editing" data-testid="tag-row">
        <form onSubmit={submit} noValidate className="row wrap" aria-label={`Edit tag ${tag.name}`}>
          <Field label="Name" error={errorFor(errors, "name")}>
            <input type="text" value={name} onChange={(e) => setName(e.target.value)} maxLength={50} autoFocus />
          </Field>
          <Field label="Color" error={errorFor(errors, "color")} className="compact">
            <input type="color" value={color} onChange={(e) => setColor(e.target.value)} />
          </Field>
          <button type="submit" className="button primary" disabled={update.isPending}>
            Save
          </button>
          <button
            type="button"
            className="button"
            onClick={() => {
              setEditing(false);
              setName(tag.name);
              setColor(tag.color);
              setErrors({});
            }}
          >
            Cancel
          </button>
          {errors[""] && (
            <p className="form-error" role="alert">
              {errors[""]}
            </p>
          )}
        </form>
      </li>
    );
  }
  return (
    <li className="tag-row" data-testid="tag-row">
      <TagChip tag={tag} />
      <Link to={`/?tags=${tag.id}`} className="tag-count">
        {tag.taskCount === 1 ? "1 task" : `${tag.taskCount} tasks`}
      </Link>
      <span className="spacer" />
      <button
        type="button"
        className="button"
        aria-label={`Edit tag ${tag.name}`}
        onClick={() => {
          setName(tag.name);
          setColor(tag.color);
          setEditing(true);
        }}
      >
        Edit
      </button>
      <button type="button" className="button danger" aria-label={`Delete tag ${tag.name}`} onClick={onDelete}>
        Delete
      </button>
    </li>
  );
}
