import type { Tag } from "../gen/taskmesh/task/v1/tag_pb";

/** textColorOn picks black or white text for a "#RRGGBB" background. */
export function textColorOn(hex: string): string {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return "#fff";
  const [r, g, b] = [m[1], m[2], m[3]].map((x) => parseInt(x, 16));
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#111827" : "#fff";
}

type Props = {
  tag: Pick<Tag, "id" | "name" | "color">;
  /** When given, the chip is a toggle button (pressed when selected). */
  onToggle?: () => void;
  selected?: boolean;
};

/** TagChip is a tag's name on its color; a toggle button when onToggle is given. */
export function TagChip({ tag, onToggle, selected }: Props) {
  const color = tag.color || "#64748B";
  const style = selected === false
    ? { borderColor: color, color: "inherit", background: "transparent" }
    : { background: color, borderColor: color, color: textColorOn(color) };
  if (onToggle) {
    return (
      <button type="button" className="tag-chip" style={style} aria-pressed={!!selected} onClick={onToggle}>
        {tag.name}
      </button>
    );
  }
  return (
    <span className="tag-chip" style={style}>
      {tag.name}
    </span>
  );
}
