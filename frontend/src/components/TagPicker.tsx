import { useId, useState } from "react";
import { Code } from "@connectrpc/connect";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { create } from "@bufbuild/protobuf";
import { CreateTagRequestSchema, TagService, type Tag } from "../gen/taskmesh/task/v1/tag_pb";
import { codeOf, errorFor, messageOf, serverFieldErrors } from "../api/errors";
import { validateMessage } from "../forms/validate";
import { queryKeys } from "../api/queryKeys";
import { TagChip } from "./TagChip";
import { FieldError } from "./Status";

type Props = {
  tags: Tag[];
  selected: string[];
  onChange: (ids: string[]) => void;
  error?: string;
};

/** TagPicker toggles the task's tags and creates a new one on the spot (then selects it). */
export function TagPicker({ tags, selected, onChange, error }: Props) {
  const qc = useQueryClient();
  const id = useId();
  const [name, setName] = useState("");
  const [newError, setNewError] = useState<string>();
  const createTag = useMutation(TagService.method.createTag, {
    onSuccess: (res) => {
      if (res.tag) onChange([...selected, res.tag.id]);
      setName("");
      void qc.invalidateQueries({ queryKey: queryKeys.listTags });
    },
    onError: (e) => {
      setNewError(codeOf(e) === Code.AlreadyExists ? `You already have a tag named “${name.trim()}”.` : errorFor(serverFieldErrors(e), "name") ?? messageOf(e));
    },
  });
  const add = () => {
    const req = create(CreateTagRequestSchema, { name: name.trim(), color: randomColor() });
    const existing = tags.find((t) => t.name.toLowerCase() === req.name.toLowerCase());
    if (existing) {
      if (!selected.includes(existing.id)) onChange([...selected, existing.id]);
      setName("");
      setNewError(undefined);
      return;
    }
    const v = validateMessage(CreateTagRequestSchema, req);
    setNewError(errorFor(v, "name"));
    if (!errorFor(v, "name")) createTag.mutate(req);
  };
  return (
    <fieldset className="field tag-picker">
      <legend>Tags</legend>
      {tags.length > 0 ? (
        <div className="chips">
          {tags.map((t) => (
            <TagChip
              key={t.id}
              tag={t}
              selected={selected.includes(t.id)}
              onToggle={() => onChange(selected.includes(t.id) ? selected.filter((x) => x !== t.id) : [...selected, t.id])}
            />
          ))}
        </div>
      ) : (
        <p className="hint">No tags yet: create one below.</p>
      )}
      <div className="row">
        <label htmlFor={`${id}-new`} className="visually-hidden">
          New tag name
        </label>
        <input
          id={`${id}-new`}
          type="text"
          placeholder="New tag"
          value={name}
          aria-invalid={newError ? true : undefined}
          aria-describedby={newError ? `${id}-err` : undefined}
          onChange={(e) => {
            setName(e.target.value);
            setNewError(undefined);
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              if (name.trim()) add();
            }
          }}
        />
        <button type="button" className="button" onClick={add} disabled={!name.trim() || createTag.isPending}>
          Add tag
        </button>
      </div>
      <FieldError id={`${id}-err`} message={newError} />
      <FieldError id={`${id}-sel`} message={error} />
    </fieldset>
  );
}

const palette = ["#EF4444", "#F59E0B", "#10B981", "#3B82F6", "#8B5CF6", "#EC4899", "#14B8A6", "#64748B"];
function randomColor(): string {
  return palette[Math.floor(Math.random() * palette.length)];
}
