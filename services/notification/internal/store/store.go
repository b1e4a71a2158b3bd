// Package store is the notification service's data layer, in its own PostgreSQL schema:
// the users' inboxes, the ledger of reminder events already handled, and the outbox of
// the TaskUpdateEvents that announce new notifications.
//
// Every query a user can trigger is scoped by the user id in SQL. Generated sqlc types
// stay inside this package: callers get protobuf messages and small domain structs.
package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/taskmesh/taskmesh/gen/sqlc/notificationdb"
	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	notificationv1 "github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/outbox"
	"github.com/taskmesh/taskmesh/pkg/pgerr"
)

// Schema is the PostgreSQL schema the notification service owns.
const Schema = "notification"

// ErrUnrecordable is returned by Notify for a reminder that the database refuses as data
// (text PostgreSQL cannot store, say): storing it again cannot succeed.
var ErrUnrecordable = errors.New("the database refuses this reminder's data")

// Outcome is what became of a reminder event; the ledger keeps it for operators.
type Outcome string

// The outcomes of a reminder event.
const (
	// Notified: a notification was stored and announced.
	Notified Outcome = "notified"
	// TaskNotFound: the api has no such task for the user.
	TaskNotFound Outcome = "task_not_found"
	// TaskDeleted: the task is in the trash.
	TaskDeleted Outcome = "task_deleted"
	// TaskNotPending: the task was completed before the reminder was handled.
	TaskNotPending Outcome = "task_not_pending"
)

// Store reads and writes the notification schema.
type Store struct {
	pool *pgxpool.Pool
	q    *notificationdb.Queries
}

// New returns a Store on pool, whose connections must use Schema as search_path
// (pgschema.Pool does that).
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, q: notificationdb.New(pool)}
}

// Reminder is a fired reminder to store as a notification, taken from a ReminderEvent.
type Reminder struct {
	EventID    uuid.UUID
	UserID     uuid.UUID
	TaskID     uuid.UUID
	ReminderID uuid.UUID
	Title      string
	Due        *taskv1.Due // nil when the task has no due
	RemindAt   time.Time
}

// Processed reports whether the event was handled already, whatever the outcome.
func (s *Store) Processed(ctx context.Context, eventID uuid.UUID) (bool, error) {
	done, err := s.q.ProcessedEventExists(ctx, eventID)
	if err != nil {
		return false, fmt.Errorf("look up event %s: %w", eventID, err)
	}
	return done, nil
}

// ForgetProcessed forgets the events handled before before and returns how many.
func (s *Store) ForgetProcessed(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.q.ProcessedEventPurge(ctx, before)
	if err != nil {
		return 0, fmt.Errorf("purge the event ledger: %w", err)
	}
	return n, nil
}

// Skip records that the event was handled without a notification, for the reason
// outcome, and reports whether it recorded it (false: it was handled already).
func (s *Store) Skip(ctx context.Context, eventID uuid.UUID, outcome Outcome) (bool, error) {
	n, err := s.q.ProcessedEventInsert(ctx, notificationdb.ProcessedEventInsertParams{EventID: eventID, Outcome: string(outcome)})
	if err != nil {
		return false, fmt.Errorf("record event %s as %s: %w", eventID, outcome, err)
	}
	return n == 1, nil
}

// Notify stores r as a notification in its user's inbox and, in the same transaction,
// records its event as handled and writes a TaskUpdateEvent of kind REMINDER carrying the
// notification to the outbox (topic task-updates). It returns the notification, or nil
// when the event was handled already (then nothing is written). The error wraps
// ErrUnrecordable when the database refuses the data itself; any other error is transient.
func (s *Store) Notify(ctx context.Context, r Reminder) (*notificationv1.Notification, error) {
	var due []byte
	if r.Due != nil {
		var err error
		if due, err = protojson.Marshal(r.Due); err != nil {
			return nil, fmt.Errorf("notify event %s: encode due: %w: %w", r.EventID, ErrUnrecordable, err)
		}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("notify event %s: begin: %w", r.EventID, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after commit
	q := s.q.WithTx(tx)

	// The ledger row first: a concurrent delivery of the same event waits here for this
	// transaction and then finds the row, so exactly one of them writes the rest.
	n, err := q.ProcessedEventInsert(ctx, notificationdb.ProcessedEventInsertParams{EventID: r.EventID, Outcome: string(Notified)})
	if err != nil {
		return nil, fmt.Errorf("notify event %s: record it: %w", r.EventID, err)
	}
	if n == 0 {
		return nil, nil
	}
	row, err := q.NotificationInsert(ctx, notificationdb.NotificationInsertParams{
		ID: uuid.Must(uuid.NewV7()), EventID: r.EventID, UserID: r.UserID, TaskID: r.TaskID,
		ReminderID: r.ReminderID, Title: r.Title, Due: due, RemindAt: r.RemindAt,
	})
	switch {
	case pgerr.IsNoRows(err):
		// Stored by an earlier delivery whose ledger row is gone: it was announced then.
		return nil, commit(ctx, tx, r.EventID)
	case pgerr.IsDataException(err):
		return nil, fmt.Errorf("notify event %s: %w: %w", r.EventID, ErrUnrecordable, err)
	case err != nil:
		return nil, fmt.Errorf("notify event %s: store the notification: %w", r.EventID, err)
	}
	notif, err := toProto(row)
	if err != nil {
		return nil, err
	}
	update := &eventsv1.TaskUpdateEvent{
		UserId:     r.UserID.String(),
		Kind:       eventsv1.TaskUpdateKind_TASK_UPDATE_KIND_REMINDER,
		Payload:    &eventsv1.TaskUpdateEvent_Notification{Notification: notif},
		OccurredAt: notif.GetCreatedAt(),
	}
	if err := announce(ctx, tx, update); err != nil {
		return nil, fmt.Errorf("notify event %s: %w", r.EventID, err)
	}
	if err := commit(ctx, tx, r.EventID); err != nil {
		return nil, err
	}
	return notif, nil
}

// announce writes update, with a new event id, to the outbox (topic task-updates) in the
// caller's transaction tx.
func announce(ctx context.Context, tx pgx.Tx, update *eventsv1.TaskUpdateEvent) error {
	update.EventId = uuid.Must(uuid.NewV7()).String()
	return outbox.Insert(ctx, tx, meshnames.TaskUpdates, update)
}

func commit(ctx context.Context, tx pgx.Tx, eventID uuid.UUID) error {
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("notify event %s: commit: %w", eventID, err)
	}
	return nil
}

// Cursor is the position after the last notification of a page in the order of List.
type Cursor struct {
	CreatedAt time.Time `json:"t"`
	ID        uuid.UUID `json:"i"`
}

// Page is one page of a user's inbox.
type Page struct {
	Notifications []*notificationv1.Notification
	Next          *Cursor // nil on the last page
	UnreadCount   int32   // all of the user's unread notifications, not just this page's
}

// List returns up to limit of the user's notifications (unread ones only when
// unreadOnly), newest first (ties broken by id, descending), after cursor (nil for the
// first page), with the user's unread count read from the same snapshot.
func (s *Store) List(ctx context.Context, userID uuid.UUID, unreadOnly bool, limit int, after *Cursor) (Page, error) {
	var page Page
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		var cursorAt *time.Time
		var cursorID *uuid.UUID
		if after != nil {
			cursorAt, cursorID = &after.CreatedAt, &after.ID
		}
		var rows []notificationdb.Notification
		var err error
		if unreadOnly {
			rows, err = q.NotificationListUnread(ctx, notificationdb.NotificationListUnreadParams{
				UserID: userID, CursorAt: cursorAt, CursorID: cursorID, MaxRows: int32(limit + 1),
			})
		} else {
			rows, err = q.NotificationList(ctx, notificationdb.NotificationListParams{
				UserID: userID, CursorAt: cursorAt, CursorID: cursorID, MaxRows: int32(limit + 1),
			})
		}
		if err != nil {
			return fmt.Errorf("list notifications: %w", err)
		}
		if len(rows) > limit {
			rows = rows[:limit]
			last := rows[limit-1]
			page.Next = &Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
		}
		page.Notifications = make([]*notificationv1.Notification, len(rows))
		for i, r := range rows {
			if page.Notifications[i], err = toProto(r); err != nil {
				return err
			}
		}
		page.UnreadCount, err = unreadCount(ctx, q, userID)
		return err
	})
	if err != nil {
		return Page{}, err
	}
	return page, nil
}

// MarkRead marks the user's unread notifications among ids read (ids of other users'
// notifications, unknown ones and read ones change nothing) and returns how many it
// marked and how many unread ones are left.
func (s *Store) MarkRead(ctx context.Context, userID uuid.UUID, ids []uuid.UUID) (marked, unread int32, err error) {
	return s.mark(ctx, userID, func(q *notificationdb.Queries) (int64, error) {
		if len(ids) == 0 {
			return 0, nil
		}
		return q.NotificationMarkRead(ctx, notificationdb.NotificationMarkReadParams{UserID: userID, Ids: ids})
	})
}

// MarkAllRead marks every unread notification of the user read and returns how many it
// marked and how many unread ones are left (0, unless new ones arrived meanwhile).
func (s *Store) MarkAllRead(ctx context.Context, userID uuid.UUID) (marked, unread int32, err error) {
	return s.mark(ctx, userID, func(q *notificationdb.Queries) (int64, error) {
		return q.NotificationMarkAllRead(ctx, userID)
	})
}

func (s *Store) mark(ctx context.Context, userID uuid.UUID, update func(*notificationdb.Queries) (int64, error)) (marked, unread int32, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		n, err := update(q)
		if err != nil {
			return fmt.Errorf("mark notifications read: %w", err)
		}
		marked = clamp(n)
		if unread, err = unreadCount(ctx, q, userID); err != nil {
			return err
		}
		if marked == 0 {
			return nil
		}
		// The user's other open pages refresh their inbox.
		return announce(ctx, tx, &eventsv1.TaskUpdateEvent{
			UserId: userID.String(), Kind: eventsv1.TaskUpdateKind_TASK_UPDATE_KIND_NOTIFICATIONS_READ,
			Payload:    &eventsv1.TaskUpdateEvent_NotificationsRead{NotificationsRead: &eventsv1.NotificationsRead{UnreadCount: unread}},
			OccurredAt: timestamppb.Now(),
		})
	})
	if err != nil {
		return 0, 0, err
	}
	return marked, unread, nil
}

func unreadCount(ctx context.Context, q *notificationdb.Queries, userID uuid.UUID) (int32, error) {
	n, err := q.NotificationCountUnread(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("count unread notifications: %w", err)
	}
	return clamp(n), nil
}

// clamp fits a count into the int32 fields of the API.
func clamp(n int64) int32 { return int32(min(n, math.MaxInt32)) }

// dues are read leniently: a field added to Due later, or removed, must not make old
// notifications unreadable.
var dues = protojson.UnmarshalOptions{DiscardUnknown: true}

func toProto(r notificationdb.Notification) (*notificationv1.Notification, error) {
	n := &notificationv1.Notification{
		Id: r.ID.String(), TaskId: r.TaskID.String(), Title: r.Title,
		RemindAt: timestamppb.New(r.RemindAt), CreatedAt: timestamppb.New(r.CreatedAt),
	}
	if r.ReadAt != nil {
		n.ReadAt = timestamppb.New(*r.ReadAt)
	}
	if r.Due != nil {
		n.Due = &taskv1.Due{}
		if err := dues.Unmarshal(r.Due, n.Due); err != nil {
			return nil, fmt.Errorf("notification %s: decode due: %w", r.ID, err)
		}
	}
	return n, nil
}
