// Package store is the audit service's data layer: the audit log, one row per TaskEvent,
// in the audit service's own PostgreSQL schema.
//
// Every query a user can trigger is scoped by the user id in SQL. Generated sqlc types
// stay inside this package: callers get protobuf messages and small domain structs.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/taskmesh/taskmesh/gen/sqlc/auditdb"
	auditv1 "github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1"
	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/pgerr"
)

// Schema is the PostgreSQL schema the audit service owns.
const Schema = "audit"

// ErrUnrecordable is returned by Record for an entry that the database refuses as data
// (text PostgreSQL cannot store in jsonb, say): recording it again cannot succeed.
var ErrUnrecordable = errors.New("the database refuses this entry's data")

// Store reads and writes the audit schema.
type Store struct {
	q *auditdb.Queries
}

// New returns a Store on pool, whose connections must use Schema as search_path
// (pgschema.Pool does that).
func New(pool *pgxpool.Pool) *Store {
	return &Store{q: auditdb.New(pool)}
}

// Entry is one change to record, taken from a TaskEvent.
type Entry struct {
	EventID    uuid.UUID
	UserID     uuid.UUID
	TaskID     uuid.UUID
	Type       eventsv1.TaskEventType
	Before     *taskv1.Task // nil for a creation
	After      *taskv1.Task
	OccurredAt time.Time
	ChangeSeq  int64
}

// Record writes e unless an entry with its event id exists already, and reports whether
// it wrote it. It returns an error wrapping ErrUnrecordable when the database refuses the
// data itself; any other error is transient (the database is unreachable, say).
func (s *Store) Record(ctx context.Context, e Entry) (bool, error) {
	after, err := protojson.Marshal(e.After)
	if err != nil {
		return false, fmt.Errorf("record event %s: encode task: %w: %w", e.EventID, ErrUnrecordable, err)
	}
	var before []byte
	if e.Before != nil {
		if before, err = protojson.Marshal(e.Before); err != nil {
			return false, fmt.Errorf("record event %s: encode previous task: %w: %w", e.EventID, ErrUnrecordable, err)
		}
	}
	n, err := s.q.AuditLogInsert(ctx, auditdb.AuditLogInsertParams{
		ID: uuid.Must(uuid.NewV7()), EventID: e.EventID, UserID: e.UserID, TaskID: e.TaskID,
		Type: int16(e.Type), Before: before, After: after, OccurredAt: e.OccurredAt, ChangeSeq: e.ChangeSeq,
	})
	if pgerr.IsDataException(err) {
		return false, fmt.Errorf("record event %s: %w: %w", e.EventID, ErrUnrecordable, err)
	}
	if err != nil {
		return false, fmt.Errorf("record event %s: %w", e.EventID, err)
	}
	return n == 1, nil
}

// Filter selects a user's entries for List. Zero values select everything.
type Filter struct {
	Types          []eventsv1.TaskEventType // any of them
	TaskID         *uuid.UUID
	OccurredAfter  *time.Time // inclusive
	OccurredBefore *time.Time // exclusive
}

// Cursor is the position after the last entry of a page in the order of List.
type Cursor struct {
	OccurredAt time.Time `json:"t"`
	ID         uuid.UUID `json:"i"`
}

// List returns up to limit of the user's entries matching f, newest first (ties broken by
// id, descending), after cursor (nil for the first page), and the cursor of the next page
// (nil on the last page).
func (s *Store) List(ctx context.Context, userID uuid.UUID, f Filter, limit int, after *Cursor) ([]*auditv1.AuditEntry, *Cursor, error) {
	types := make([]int16, len(f.Types))
	for i, t := range f.Types {
		types[i] = int16(t)
	}
	p := auditdb.AuditLogListParams{
		UserID: userID, Types: types, TaskID: f.TaskID,
		OccurredAfter: f.OccurredAfter, OccurredBefore: f.OccurredBefore,
		MaxRows: int32(limit + 1),
	}
	if after != nil {
		p.CursorAt, p.CursorID = &after.OccurredAt, &after.ID
	}
	rows, err := s.q.AuditLogList(ctx, p)
	if err != nil {
		return nil, nil, fmt.Errorf("list audit entries: %w", err)
	}
	var next *Cursor
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = &Cursor{OccurredAt: last.OccurredAt, ID: last.ID}
	}
	entries := make([]*auditv1.AuditEntry, len(rows))
	for i, r := range rows {
		if entries[i], err = toProto(r); err != nil {
			return nil, nil, err
		}
	}
	return entries, next, nil
}

// snapshots are read leniently: a field added to Task later, or removed, must not make
// old entries unreadable.
var snapshots = protojson.UnmarshalOptions{DiscardUnknown: true}

func toProto(r auditdb.AuditLog) (*auditv1.AuditEntry, error) {
	e := &auditv1.AuditEntry{
		Id: r.ID.String(), EventId: r.EventID.String(), Type: eventsv1.TaskEventType(r.Type),
		TaskId: r.TaskID.String(), OccurredAt: timestamppb.New(r.OccurredAt), ChangeSeq: r.ChangeSeq,
		After: &taskv1.Task{},
	}
	if err := snapshots.Unmarshal(r.After, e.After); err != nil {
		return nil, fmt.Errorf("audit entry %s: decode task: %w", r.ID, err)
	}
	if r.Before != nil {
		e.Before = &taskv1.Task{}
		if err := snapshots.Unmarshal(r.Before, e.Before); err != nil {
			return nil, fmt.Errorf("audit entry %s: decode previous task: %w", r.ID, err)
		}
	}
	return e, nil
}
