package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/taskmesh/taskmesh/gen/sqlc/apidb"
	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/apierr"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/outbox"
	"github.com/taskmesh/taskmesh/pkg/pgerr"
	"github.com/taskmesh/taskmesh/services/api/internal/taskrules"
)

// CreateTask stores a new task for userID from the input fields of in (title,
// description, priority, tag_ids, due, reminders, recurrence; in has passed protovalidate)
// and writes its events to the outbox. Tags that are not the user's answer NotFound; a
// reminder that cannot fire before the due time answers InvalidArgument.
func (s *Store) CreateTask(ctx context.Context, userID uuid.UUID, in *taskv1.Task) (*taskv1.Task, error) {
	var out *taskv1.Task
	err := s.inTx(ctx, func(tx pgx.Tx, q *apidb.Queries) error {
		seq, loc, err := reserveChangeSeqs(ctx, q, userID, 1)
		if err != nil {
			return err
		}
		row := apidb.Task{ID: uuid.Must(uuid.NewV7()), UserID: userID, Status: int16(taskv1.TaskStatus_TASK_STATUS_PENDING)}
		w, err := prepareWrite(ctx, q, &row, in, loc, nil, taskrules.All)
		if err != nil {
			return err
		}
		if out, err = insertTask(ctx, q, row, w, seq); err != nil {
			return err
		}
		return writeTaskEvents(ctx, tx, userID, eventsv1.TaskEventType_TASK_EVENT_TYPE_CREATED, nil, out)
	})
	return out, err
}

// Task returns one of userID's tasks, deleted or not; NotFound when the user has none
// with that id.
func (s *Store) Task(ctx context.Context, userID, id uuid.UUID) (*taskv1.Task, error) {
	return s.taskByID(ctx, s.q, userID, id)
}

// UpdateTask applies the fields of mask (see taskrules.ParseMask) from in to the task,
// provided its version is still expectedVersion. A stale version answers Aborted, a
// deleted task FailedPrecondition, and both change nothing.
func (s *Store) UpdateTask(ctx context.Context, userID, id uuid.UUID, in *taskv1.Task, mask taskrules.Fields, expectedVersion int64) (*taskv1.Task, error) {
	return s.mutateTask(ctx, userID, id, eventsv1.TaskEventType_TASK_EVENT_TYPE_UPDATED,
		func(ctx context.Context, q *apidb.Queries, row *apidb.Task, before *taskv1.Task, loc *time.Location) (*taskWrite, error) {
			if row.Version != expectedVersion {
				return nil, apierr.Aborted("task %s was changed by someone else (version %d, you had %d): reload it and try again", id, row.Version, expectedVersion)
			}
			if row.DeletedAt != nil {
				return nil, apierr.FailedPrecondition("task %s is deleted: restore it first", id)
			}
			return prepareWrite(ctx, q, row, taskrules.Merge(before, in, mask), loc, before, mask)
		})
}

// CompleteTask marks a pending task completed; a completed or deleted one answers
// FailedPrecondition.
func (s *Store) CompleteTask(ctx context.Context, userID, id uuid.UUID) (*taskv1.Task, error) {
	return s.mutateTask(ctx, userID, id, eventsv1.TaskEventType_TASK_EVENT_TYPE_COMPLETED,
		func(_ context.Context, _ *apidb.Queries, row *apidb.Task, _ *taskv1.Task, _ *time.Location) (*taskWrite, error) {
			if err := requireLive(row); err != nil {
				return nil, err
			}
			if row.Status == int16(taskv1.TaskStatus_TASK_STATUS_COMPLETED) {
				return nil, apierr.FailedPrecondition("task %s is already completed", id)
			}
			now := s.now()
			row.Status, row.CompletedAt = int16(taskv1.TaskStatus_TASK_STATUS_COMPLETED), &now
			return nil, nil
		})
}

// ReopenTask marks a completed task pending; a pending or deleted one answers
// FailedPrecondition.
func (s *Store) ReopenTask(ctx context.Context, userID, id uuid.UUID) (*taskv1.Task, error) {
	return s.mutateTask(ctx, userID, id, eventsv1.TaskEventType_TASK_EVENT_TYPE_REOPENED,
		func(ctx context.Context, q *apidb.Queries, row *apidb.Task, _ *taskv1.Task, _ *time.Location) (*taskWrite, error) {
			if err := requireLive(row); err != nil {
				return nil, err
			}
			if row.Status != int16(taskv1.TaskStatus_TASK_STATUS_COMPLETED) {
				return nil, apierr.FailedPrecondition("task %s is not completed", id)
			}
			row.Status, row.CompletedAt = int16(taskv1.TaskStatus_TASK_STATUS_PENDING), nil
			return nil, s.dropPastReminders(ctx, q, row.ID)
		})
}

// DeleteTask moves a task to the trash; a deleted one answers FailedPrecondition.
func (s *Store) DeleteTask(ctx context.Context, userID, id uuid.UUID) (*taskv1.Task, error) {
	return s.mutateTask(ctx, userID, id, eventsv1.TaskEventType_TASK_EVENT_TYPE_DELETED,
		func(_ context.Context, _ *apidb.Queries, row *apidb.Task, _ *taskv1.Task, _ *time.Location) (*taskWrite, error) {
			if err := requireLive(row); err != nil {
				return nil, err
			}
			now := s.now()
			row.DeletedAt = &now
			return nil, nil
		})
}

// RestoreTask takes a task out of the trash; a live one answers FailedPrecondition.
func (s *Store) RestoreTask(ctx context.Context, userID, id uuid.UUID) (*taskv1.Task, error) {
	return s.mutateTask(ctx, userID, id, eventsv1.TaskEventType_TASK_EVENT_TYPE_RESTORED,
		func(ctx context.Context, q *apidb.Queries, row *apidb.Task, _ *taskv1.Task, _ *time.Location) (*taskWrite, error) {
			if row.DeletedAt == nil {
				return nil, apierr.FailedPrecondition("task %s is not deleted", id)
			}
			row.DeletedAt = nil
			return nil, s.dropPastReminders(ctx, q, row.ID)
		})
}

// SyncTasks returns up to limit of userID's tasks changed after since, in change order,
// the high-water mark to resume from, and whether more remain.
func (s *Store) SyncTasks(ctx context.Context, userID uuid.UUID, since int64, limit int) ([]*taskv1.Task, int64, bool, error) {
	rows, err := s.q.TaskSyncSince(ctx, apidb.TaskSyncSinceParams{UserID: userID, Since: since, MaxRows: int32(limit + 1)})
	if err != nil {
		return nil, 0, false, fmt.Errorf("sync tasks: %w", err)
	}
	more := len(rows) > limit
	rows = rows[:min(len(rows), limit)]
	tasks, err := s.hydrate(ctx, s.q, rows)
	if err != nil {
		return nil, 0, false, err
	}
	mark := since
	if len(rows) > 0 {
		mark = rows[len(rows)-1].ChangeSeq
	}
	return tasks, mark, more, nil
}

func requireLive(row *apidb.Task) error {
	if row.DeletedAt != nil {
		return apierr.FailedPrecondition("task %s is deleted: restore it first", row.ID)
	}
	return nil
}

// mutation changes the locked row in place and may return a taskWrite for the task's
// tags and reminders.
type mutation func(ctx context.Context, q *apidb.Queries, row *apidb.Task, before *taskv1.Task, loc *time.Location) (*taskWrite, error)

// mutateTask is the one path every change to an existing task takes: lock the user's
// change sequence and the task, apply the change, bump version and change_seq, and write
// the TaskEvent and TaskUpdateEvent to the outbox, all in one transaction.
func (s *Store) mutateTask(ctx context.Context, userID, id uuid.UUID, typ eventsv1.TaskEventType, change mutation) (*taskv1.Task, error) {
	var out *taskv1.Task
	err := s.inTx(ctx, func(tx pgx.Tx, q *apidb.Queries) error {
		seq, loc, err := reserveChangeSeqs(ctx, q, userID, 1)
		if err != nil {
			return err
		}
		row, err := q.TaskGetForUpdate(ctx, apidb.TaskGetForUpdateParams{UserID: userID, ID: id})
		if pgerr.IsNoRows(err) {
			return apierr.NotFound("task")
		}
		if err != nil {
			return fmt.Errorf("lock task %s: %w", id, err)
		}
		before, err := s.hydrateOne(ctx, q, row)
		if err != nil {
			return err
		}
		w, err := change(ctx, q, &row, before, loc)
		if err != nil {
			return err
		}
		if err := updateRow(ctx, q, row, seq, s.now()); err != nil {
			return err
		}
		if err := w.apply(ctx, q, row.ID, userID); err != nil {
			return err
		}
		out, err = s.taskByID(ctx, q, userID, id)
		if err != nil {
			return err
		}
		return writeTaskEvents(ctx, tx, userID, typ, before, out)
	})
	return out, err
}

func updateRow(ctx context.Context, q *apidb.Queries, row apidb.Task, seq int64, now time.Time) error {
	err := q.TaskUpdate(ctx, apidb.TaskUpdateParams{
		UserID: row.UserID, ID: row.ID, Title: row.Title, Description: row.Description,
		Status: row.Status, Priority: row.Priority, DueAt: row.DueAt, DueDate: row.DueDate,
		Recurrence: row.Recurrence, SeriesID: row.SeriesID, OccurrenceIndex: row.OccurrenceIndex,
		CompletedAt: row.CompletedAt, DeletedAt: row.DeletedAt, UpdatedAt: now, ChangeSeq: seq,
	})
	if err != nil {
		return fmt.Errorf("update task %s: %w", row.ID, err)
	}
	return nil
}

// reserveChangeSeqs takes the next n change sequence numbers of the user (locking the
// user's row until commit) and returns the first one and the user's time zone.
//
// The lock makes one user's writes run one at a time, from this call to the end of
// COMMIT, and every change path calls it first. Both are deliberate:
//
//   - Clients resume from the highest change_seq they have seen: SyncTasks returns what
//     lies above it, the web app (frontend/src/live/liveSync.ts) takes an update that
//     skips a number as a cue to sync and ignores one at or below its position, and the
//     realtime service compares a resuming socket's position with users.change_seq.
//     So once seq n is visible, every seq below it must be visible too, or a client can
//     step over a change for good. Holding the row lock through COMMIT is what gives
//     that: the next writer's reservation returns only after this commit is visible.
//     The commit's WAL flush is therefore inside the lock whatever else moves.
//   - The lock is also the user's mutex for tags: DeleteTag takes it before collecting
//     the tasks it untags, and task writes check the tags they add under it. Reserving
//     as the last statement would shorten the hold by the statements before it, but a
//     tag could then be deleted between a write's check and its insert (the task keeps
//     the tag with no change recorded, or the insert fails on the foreign key), and the
//     lock order (user, then tasks) would no longer be the same on every path.
//
// BenchmarkCreateTaskConcurrent measures the cost: ten clients of one user get the
// throughput of about one (two sessions wait on this lock on average), while clients of
// different users do not wait on it at all.
func reserveChangeSeqs(ctx context.Context, q *apidb.Queries, userID uuid.UUID, n int64) (int64, *time.Location, error) {
	res, err := q.UserReserveChangeSeqs(ctx, apidb.UserReserveChangeSeqsParams{ID: userID, N: n})
	if pgerr.IsNoRows(err) {
		return 0, nil, apierr.Unauthenticated("the signed-in account no longer exists")
	}
	if err != nil {
		return 0, nil, fmt.Errorf("reserve change sequence: %w", err)
	}
	loc, err := loadZone(res.TimeZone)
	if err != nil {
		loc = time.UTC // stored zones are validated on the way in; never fail a write on one
	}
	return res.ChangeSeq - n + 1, loc, nil
}

// writeTaskEvents writes the TaskEvent (task-events) and the TaskUpdateEvent
// (task-updates) of one change into the outbox, in that order.
func writeTaskEvents(ctx context.Context, tx pgx.Tx, userID uuid.UUID, typ eventsv1.TaskEventType, before, after *taskv1.Task) error {
	occurred := after.GetUpdatedAt()
	taskEvent := &eventsv1.TaskEvent{
		EventId: uuid.Must(uuid.NewV7()).String(), Type: typ, UserId: userID.String(), Task: after, Previous: before,
		OccurredAt: occurred, ChangeSeq: after.GetChangeSeq(),
	}
	kind := eventsv1.TaskUpdateKind_TASK_UPDATE_KIND_TASK_UPSERTED
	if after.GetDeletedAt() != nil {
		kind = eventsv1.TaskUpdateKind_TASK_UPDATE_KIND_TASK_DELETED
	}
	update := &eventsv1.TaskUpdateEvent{
		EventId: uuid.Must(uuid.NewV7()).String(), UserId: userID.String(), Kind: kind,
		Payload:   &eventsv1.TaskUpdateEvent_Task{Task: after},
		ChangeSeq: after.GetChangeSeq(), OccurredAt: occurred,
	}
	if err := outbox.Insert(ctx, tx, meshnames.TaskEvents, taskEvent); err != nil {
		return err
	}
	return outbox.Insert(ctx, tx, meshnames.TaskUpdates, update)
}

// taskByID loads one task with its tags and reminders.
func (s *Store) taskByID(ctx context.Context, q *apidb.Queries, userID, id uuid.UUID) (*taskv1.Task, error) {
	row, err := q.TaskGet(ctx, apidb.TaskGetParams{UserID: userID, ID: id})
	if pgerr.IsNoRows(err) {
		return nil, apierr.NotFound("task")
	}
	if err != nil {
		return nil, fmt.Errorf("get task %s: %w", id, err)
	}
	return s.hydrateOne(ctx, q, row)
}

func (s *Store) hydrateOne(ctx context.Context, q *apidb.Queries, row apidb.Task) (*taskv1.Task, error) {
	tasks, err := s.hydrate(ctx, q, []apidb.Task{row})
	if err != nil {
		return nil, err
	}
	return tasks[0], nil
}

// hydrate converts rows to tasks, loading their tags and reminders in two queries.
func (s *Store) hydrate(ctx context.Context, q *apidb.Queries, rows []apidb.Task) ([]*taskv1.Task, error) {
	if len(rows) == 0 {
		return []*taskv1.Task{}, nil
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	tagRows, err := q.TaskTagsForTasks(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load task tags: %w", err)
	}
	remRows, err := q.RemindersForTasks(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load reminders: %w", err)
	}
	tags := map[uuid.UUID][]string{}
	for _, t := range tagRows {
		tags[t.TaskID] = append(tags[t.TaskID], t.TagID.String())
	}
	rems := map[uuid.UUID][]*taskv1.Reminder{}
	for _, r := range remRows {
		rems[r.TaskID] = append(rems[r.TaskID], reminderToProto(r))
	}
	out := make([]*taskv1.Task, len(rows))
	for i, r := range rows {
		t, err := taskToProto(r)
		if err != nil {
			return nil, err
		}
		t.TagIds = tags[r.ID]
		t.Reminders = rems[r.ID]
		out[i] = t
	}
	return out, nil
}

func taskToProto(r apidb.Task) (*taskv1.Task, error) {
	t := &taskv1.Task{
		Id: r.ID.String(), Title: r.Title, Description: r.Description,
		Status: taskv1.TaskStatus(r.Status), Priority: taskv1.Priority(r.Priority),
		CreatedAt: timestamppb.New(r.CreatedAt), UpdatedAt: timestamppb.New(r.UpdatedAt),
		Version: r.Version, ChangeSeq: r.ChangeSeq,
	}
	t.Due = dueOf(r.DueAt, r.DueDate)
	if r.Recurrence != nil {
		t.Recurrence = &taskv1.RecurrenceRule{}
		if err := protojson.Unmarshal(r.Recurrence, t.Recurrence); err != nil {
			return nil, fmt.Errorf("decode recurrence of task %s: %w", r.ID, err)
		}
	}
	if r.SeriesID != nil {
		t.SeriesId, t.OccurrenceIndex = r.SeriesID.String(), *r.OccurrenceIndex
	}
	t.CompletedAt = timestampOrNil(r.CompletedAt)
	t.DeletedAt = timestampOrNil(r.DeletedAt)
	return t, nil
}

func reminderToProto(r apidb.Reminder) *taskv1.Reminder {
	out := &taskv1.Reminder{Id: r.ID.String(), RemindAt: timestamppb.New(r.RemindAt), FiredAt: timestampOrNil(r.FiredAt)}
	if r.At != nil {
		out.When = &taskv1.Reminder_At{At: timestamppb.New(*r.At)}
	} else if r.BeforeDueSeconds != nil {
		out.When = &taskv1.Reminder_BeforeDue{BeforeDue: durationpb.New(time.Duration(*r.BeforeDueSeconds) * time.Second)}
	}
	return out
}

func timestampOrNil(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

// dateOf is the column value of an all-day date; NULL for nil.
func dateOf(d *taskv1.Date) pgtype.Date {
	if d == nil {
		return pgtype.Date{}
	}
	return pgtype.Date{Time: time.Date(int(d.Year), time.Month(d.Month), int(d.Day), 0, 0, 0, 0, time.UTC), Valid: true}
}
