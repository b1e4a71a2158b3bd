import { useEffect, useRef, useState } from "react";

/** SEARCH_DEBOUNCE_MS: how long typing must pause before the search runs. */
export const SEARCH_DEBOUNCE_MS = 300;

/**
 * SearchBox is the task search field. It reports its text once typing pauses for
 * SEARCH_DEBOUNCE_MS, and follows value when it changes from outside (back button).
 */
export function SearchBox({ value, onSearch }: { value: string; onSearch: (q: string) => void }) {
  const [text, setText] = useState(value);
  const last = useRef(value);
  const onSearchRef = useRef(onSearch);
  onSearchRef.current = onSearch;
  useEffect(() => {
    if (value !== last.current) {
      last.current = value;
      setText(value);
    }
  }, [value]);
  useEffect(() => {
    if (text === last.current) return;
    const t = setTimeout(() => {
      last.current = text;
      onSearchRef.current(text);
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [text]);
  return (
    <div className="search-box" role="search">
      <label htmlFor="task-search" className="visually-hidden">
        Search tasks
      </label>
      <input
        id="task-search"
        type="search"
        placeholder="Search tasks…"
        value={text}
        onChange={(e) => setText(e.target.value)}
        autoComplete="off"
      />
    </div>
  );
}
