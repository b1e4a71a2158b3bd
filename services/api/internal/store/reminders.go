package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/taskmesh/taskmesh/gen/sqlc/apidb"
	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/outbox"
)

// SweepBatch is how many reminders one sweep transaction claims.
const SweepBatch = 200

// SweepReminders fires every reminder due at now: in batches, each in one transaction, it
// claims due reminders of live pending tasks (FOR UPDATE SKIP LOCKED, so replicas
// sweeping at once never claim the same one), marks them fired and writes their
// ReminderEvents to the outbox. Reminders that came due while the service was down are
// due now too, so a sweep catches up. It returns how many reminders fired.
func (s *Store) SweepReminders(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		n, err := s.sweepBatch(ctx, now)
		total += n
		if err != nil || n < SweepBatch {
			return total, err
		}
	}
}

func (s *Store) sweepBatch(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx pgx.Tx, q *apidb.Queries) error {
		rows, err := q.ReminderClaimDue(ctx, apidb.ReminderClaimDueParams{Now: now, MaxRows: SweepBatch})
		if err != nil {
			return fmt.Errorf("claim due reminders: %w", err)
		}
		for _, r := range rows {
			ev := &eventsv1.ReminderEvent{
				EventId: uuid.Must(uuid.NewV7()).String(), ReminderId: r.ID.String(), TaskId: r.TaskID.String(),
				UserId: r.UserID.String(), Title: r.Title, Due: dueOf(r.DueAt, r.DueDate),
				RemindAt: timestamppb.New(r.RemindAt), OccurredAt: timestamppb.New(now),
			}
			if err := outbox.Insert(ctx, tx, meshnames.Reminders, ev); err != nil {
				return err
			}
		}
		n = len(rows)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// dropPastReminders marks as past the task's unfired reminders that came due while it was
// completed or deleted: a task that comes back gets its future reminders only.
func (s *Store) dropPastReminders(ctx context.Context, q *apidb.Queries, taskID uuid.UUID) error {
	if err := q.ReminderDropPast(ctx, apidb.ReminderDropPastParams{TaskID: taskID, Now: s.now()}); err != nil {
		return fmt.Errorf("drop past reminders of %s: %w", taskID, err)
	}
	return nil
}

// dueOf rebuilds a Due from the stored deadline and all-day date.
func dueOf(at *time.Time, date pgtype.Date) *taskv1.Due {
	switch {
	case date.Valid:
		y, m, d := date.Time.Date()
		return &taskv1.Due{Kind: &taskv1.Due_Date{Date: &taskv1.Date{Year: int32(y), Month: int32(m), Day: int32(d)}}}
	case at != nil:
		return &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(*at)}}
	}
	return nil
}
