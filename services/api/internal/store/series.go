package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskmesh/taskmesh/gen/sqlc/apidb"
	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/apierr"
	"github.com/taskmesh/taskmesh/pkg/pgerr"
	"github.com/taskmesh/taskmesh/services/api/internal/taskrules"
)

const seriesOccurrenceKey = "tasks_series_occurrence_key"

// Series is what computing a series' next occurrence needs from the api.
type Series struct {
	TimeZone string
	FirstDue *taskv1.Due
}

// Series returns the user's series: the user's time zone and the first occurrence's due.
// NotFound when the user has no such series.
func (s *Store) Series(ctx context.Context, userID, seriesID uuid.UUID) (Series, error) {
	row, err := s.q.TaskSeriesFirst(ctx, apidb.TaskSeriesFirstParams{UserID: userID, SeriesID: &seriesID})
	if pgerr.IsNoRows(err) {
		return Series{}, apierr.NotFound("series")
	}
	if err != nil {
		return Series{}, fmt.Errorf("get series %s: %w", seriesID, err)
	}
	return Series{TimeZone: row.TimeZone, FirstDue: dueOf(row.DueAt, row.DueDate)}, nil
}

// SpawnOccurrence creates occurrence index of a series from the occurrence before it
// (source): same title, description, priority, tags, relative reminders and rule, due
// at due. It is idempotent per (series, index): when that occurrence exists already it is
// returned with created false, whoever created it. NotFound when the user has no such
// source task; InvalidArgument when the source is not the occurrence before index of
// that series.
func (s *Store) SpawnOccurrence(ctx context.Context, userID, sourceID, seriesID uuid.UUID, index int32, due *taskv1.Due) (*taskv1.Task, bool, error) {
	var out *taskv1.Task
	err := s.inTx(ctx, func(tx pgx.Tx, q *apidb.Queries) error {
		seq, loc, err := reserveChangeSeqs(ctx, q, userID, 1)
		if err != nil {
			return err
		}
		if existing, err := q.TaskGetBySeriesOccurrence(ctx, apidb.TaskGetBySeriesOccurrenceParams{UserID: userID, SeriesID: &seriesID, OccurrenceIndex: &index}); err == nil {
			out, err = s.hydrateOne(ctx, q, existing)
			if err != nil {
				return err
			}
			return errAlreadySpawned
		} else if !pgerr.IsNoRows(err) {
			return fmt.Errorf("look up occurrence %d of %s: %w", index, seriesID, err)
		}
		source, err := s.taskByID(ctx, q, userID, sourceID)
		if err != nil {
			return err
		}
		if source.GetSeriesId() != seriesID.String() || source.GetOccurrenceIndex()+1 != index {
			return apierr.Invalid("occurrence_index", "series.next", fmt.Sprintf("task %s is occurrence %d of series %q, not the one before occurrence %d of %s", sourceID, source.GetOccurrenceIndex(), source.GetSeriesId(), index, seriesID))
		}
		next := &taskv1.Task{
			Title: source.GetTitle(), Description: source.GetDescription(), Priority: source.GetPriority(),
			TagIds: source.GetTagIds(), Due: due, Recurrence: source.GetRecurrence(),
		}
		for _, r := range source.GetReminders() {
			if r.GetBeforeDue() != nil {
				next.Reminders = append(next.Reminders, &taskv1.Reminder{When: &taskv1.Reminder_BeforeDue{BeforeDue: r.GetBeforeDue()}})
			}
		}
		row := apidb.Task{
			ID: uuid.Must(uuid.NewV7()), UserID: userID, Status: int16(taskv1.TaskStatus_TASK_STATUS_PENDING),
			SeriesID: &seriesID, OccurrenceIndex: &index,
		}
		w, err := prepareWrite(ctx, q, &row, next, loc, nil, taskrules.All)
		if err != nil {
			return err
		}
		out, err = insertTask(ctx, q, row, w, seq)
		if pgerr.IsUniqueViolation(err, seriesOccurrenceKey) {
			return errAlreadySpawned // another replica won the race; read its task below
		}
		if err != nil {
			return fmt.Errorf("insert occurrence %d of %s: %w", index, seriesID, err)
		}
		return writeTaskEvents(ctx, tx, userID, eventsv1.TaskEventType_TASK_EVENT_TYPE_CREATED, nil, out)
	})
	if errors.Is(err, errAlreadySpawned) {
		if out == nil { // lost an insert race: the winner's task is committed now
			existing, err := s.q.TaskGetBySeriesOccurrence(ctx, apidb.TaskGetBySeriesOccurrenceParams{UserID: userID, SeriesID: &seriesID, OccurrenceIndex: &index})
			if err != nil {
				return nil, false, fmt.Errorf("read occurrence %d of %s: %w", index, seriesID, err)
			}
			if out, err = s.hydrateOne(ctx, s.q, existing); err != nil {
				return nil, false, err
			}
		}
		return out, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// errAlreadySpawned rolls back a SpawnOccurrence whose occurrence exists.
var errAlreadySpawned = errors.New("occurrence already exists")
