import { describe, expect, it, vi } from "vitest";
import { act, fireEvent, render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Frequency, Priority, RecurrenceRuleSchema, TaskStatus } from "../gen/taskmesh/task/v1/task_pb";
import { TagSchema } from "../gen/taskmesh/task/v1/tag_pb";
import { task } from "../test/fixtures";
import { PriorityBadge } from "./PriorityBadge";
import { TaskCard } from "./TaskCard";
import { SearchBox, SEARCH_DEBOUNCE_MS } from "./SearchBox";
import { TagChip } from "./TagChip";

describe("PriorityBadge", () => {
  it("colors low green, medium blue, high red, and shows nothing without a priority", () => {
    const { container } = render(
      <>
        <PriorityBadge priority={Priority.LOW} />
        <PriorityBadge priority={Priority.MEDIUM} />
        <PriorityBadge priority={Priority.HIGH} />
        <PriorityBadge priority={Priority.UNSPECIFIED} />
      </>,
    );
    const badges = container.querySelectorAll(".badge");
    expect([...badges].map((b) => b.className)).toEqual(["badge priority-low", "badge priority-medium", "badge priority-high"]);
    expect(screen.getByLabelText("High priority").textContent).toBe("High");
  });
});

describe("TagChip", () => {
  it("is a toggle button with its pressed state when it can be toggled", () => {
    const onToggle = vi.fn();
    render(<TagChip tag={create(TagSchema, { id: "t", name: "work", color: "#FFEE00" })} selected={false} onToggle={onToggle} />);
    const b = screen.getByRole("button", { name: "work" });
    expect(b.getAttribute("aria-pressed")).toBe("false");
    fireEvent.click(b);
    expect(onToggle).toHaveBeenCalled();
  });
});

describe("TaskCard", () => {
  const tag = create(TagSchema, { id: "tag-1", name: "home", color: "#10B981" });
  const tags = new Map([[tag.id, tag]]);
  const card = (t: ReturnType<typeof task>, handlers = { onComplete: vi.fn(), onReopen: vi.fn(), onDelete: vi.fn() }) =>
    render(
      <MemoryRouter>
        <ul>
          <TaskCard task={t} tags={tags} tz="UTC" {...handlers} />
        </ul>
      </MemoryRouter>,
    );

  it("shows priority, tags, due, repeat and reminders, and highlights an overdue task", () => {
    const t = task({
      title: "Water plants",
      priority: Priority.HIGH,
      tagIds: ["tag-1"],
      due: { kind: { case: "at", value: timestampFromDate(new Date(Date.now() - 3600_000)) } },
      reminders: [{ when: { case: "beforeDue", value: { seconds: 600n } } }],
      recurrence: create(RecurrenceRuleSchema, { frequency: Frequency.DAILY, interval: 2 }),
    });
    const { container } = card(t);
    expect(container.querySelector(".task-card")!.className).toContain("is-overdue");
    expect(screen.getByText("home")).toBeTruthy();
    expect(screen.getByLabelText("High priority")).toBeTruthy();
    expect(screen.getByTestId("due").textContent).toContain("Overdue");
    expect(screen.getAllByText("Every 2 days").length).toBeGreaterThan(0);
    expect(screen.getByText("Reminders:")).toBeTruthy();
  });

  it("completes a pending task and reopens a completed one in one click", () => {
    const h = { onComplete: vi.fn(), onReopen: vi.fn(), onDelete: vi.fn() };
    const pending = task({ title: "A" });
    card(pending, h);
    fireEvent.click(screen.getByRole("button", { name: "Complete “A”" }));
    expect(h.onComplete).toHaveBeenCalledWith(pending);
    const done = task({ title: "B", status: TaskStatus.COMPLETED });
    card(done, h);
    fireEvent.click(screen.getByRole("button", { name: "Reopen “B”" }));
    expect(h.onReopen).toHaveBeenCalledWith(done);
    fireEvent.click(screen.getByRole("button", { name: "Delete “B”" }));
    expect(h.onDelete).toHaveBeenCalledWith(done);
  });
});

describe("SearchBox", () => {
  it("searches once typing pauses", () => {
    vi.useFakeTimers();
    try {
      const onSearch = vi.fn();
      render(<SearchBox value="" onSearch={onSearch} />);
      const input = screen.getByLabelText("Search tasks");
      fireEvent.change(input, { target: { value: "mi" } });
      act(() => void vi.advanceTimersByTime(100));
      fireEvent.change(input, { target: { value: "milk" } });
      act(() => void vi.advanceTimersByTime(SEARCH_DEBOUNCE_MS - 1));
      expect(onSearch).not.toHaveBeenCalled();
      act(() => void vi.advanceTimersByTime(1));
      expect(onSearch).toHaveBeenCalledTimes(1);
      expect(onSearch).toHaveBeenCalledWith("milk");
    } finally {
      vi.useRealTimers();
    }
  });
});
