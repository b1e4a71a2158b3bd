package outbox

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/encoding/protojson"

	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	"github.com/taskmesh/taskmesh/pkg/pgerr"
	"github.com/taskmesh/taskmesh/pkg/pgschema"
	"github.com/taskmesh/taskmesh/pkg/pgtest"
)

// noMigrations is a service without migrations of its own.
var noMigrations = fstest.MapFS{"migrations": &fstest.MapFile{Mode: fs.ModeDir}}

func TestWithMigrationListsTheOutboxAmongTheServicesOwn(t *testing.T) {
	own := fstest.MapFS{
		"migrations/00001_init.sql":  {Data: []byte("-- +goose Up\nSELECT 1;\n")},
		"migrations/00004_later.sql": {Data: []byte("-- +goose Up\nSELECT 4;\n")},
	}
	fsys := WithMigration(own, "migrations", 3)
	got, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"migrations/00001_init.sql", "migrations/00003_outbox.sql", "migrations/00004_later.sql"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("migrations = %v, want %v", got, want)
	}
	data, err := fs.ReadFile(fsys, "migrations/00003_outbox.sql")
	if err != nil || !strings.Contains(string(data), "CREATE TABLE IF NOT EXISTS outbox") {
		t.Errorf("read the outbox migration: %v, %q", err, data)
	}
}

// TestMigrationKeepsAnExistingOutbox: a database whose outbox came from a service's own
// first migration (before pkg/outbox owned the table) still has its unpublished rows
// after the outbox migration runs, and its trigger still wakes the relay.
func TestMigrationKeepsAnExistingOutbox(t *testing.T) {
	ctx := context.Background()
	legacy := fstest.MapFS{"migrations/00001_init.sql": {Data: []byte(`-- +goose Up
CREATE TABLE outbox (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           uuid        NOT NULL UNIQUE,
    topic        text        NOT NULL,
    payload      jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished_idx ON outbox (seq) WHERE published_at IS NULL;
-- +goose StatementBegin
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '.outbox', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
`)}}
	url := pgtest.NewDatabase(t, func(ctx context.Context, url string) error {
		return pgschema.Migrate(ctx, url, "svc", legacy, "migrations")
	})
	pool, err := pgschema.Pool(ctx, url, "svc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	waiting := insert(t, pool, 2)

	// The next release: the same first migration, plus the outbox's.
	if err := pgschema.Migrate(ctx, url, "svc", WithMigration(legacy, "migrations", 2), "migrations"); err != nil {
		t.Fatalf("the outbox migration on a database that has the table: %v", err)
	}
	var unpublished int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE published_at IS NULL AND id = ANY($1::uuid[])`, waiting).Scan(&unpublished); err != nil {
		t.Fatal(err)
	}
	if unpublished != 2 {
		t.Errorf("%d of the 2 waiting rows are left", unpublished)
	}
	var triggers int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_trigger WHERE tgrelid = 'svc.outbox'::regclass AND NOT tgisinternal`).Scan(&triggers); err != nil {
		t.Fatal(err)
	}
	if triggers != 1 {
		t.Errorf("the outbox has %d triggers, want 1", triggers)
	}
	wantNotified(t, pool, "svc")
}

// wantNotified fails unless an Insert into schema's outbox wakes a listener on Channel.
func wantNotified(t *testing.T, pool *pgxpool.Pool, schema string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `LISTEN "`+Channel(schema)+`"`); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(context.Background(), "UNLISTEN *") //nolint:errcheck // best effort
	ev := &eventsv1.TaskUpdateEvent{EventId: uuid.Must(uuid.NewV7()).String(), UserId: uuid.NewString()}
	if err := Insert(ctx, pool, "task-updates", ev); err != nil {
		t.Fatal(err)
	}
	n, err := conn.Conn().WaitForNotification(ctx)
	if err != nil {
		t.Fatalf("no notification after an insert: %v", err)
	}
	if n.Channel != Channel(schema) {
		t.Errorf("notified on %q, want %q", n.Channel, Channel(schema))
	}
}

func TestInsertWritesTheEventUnderItsID(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	ev := &eventsv1.TaskUpdateEvent{EventId: uuid.Must(uuid.NewV7()).String(), UserId: uuid.NewString(), ChangeSeq: 7}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	if err := Insert(ctx, tx, "task-updates", ev); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var topic string
	var payload []byte
	if err := pool.QueryRow(ctx, `SELECT topic, payload FROM outbox WHERE id = $1`, ev.GetEventId()).Scan(&topic, &payload); err != nil {
		t.Fatalf("read the row of event %s: %v", ev.GetEventId(), err)
	}
	got := &eventsv1.TaskUpdateEvent{}
	if err := protojson.Unmarshal(payload, got); err != nil {
		t.Fatal(err)
	}
	if topic != "task-updates" || got.GetEventId() != ev.GetEventId() || got.GetChangeSeq() != 7 {
		t.Errorf("row: topic %q, payload %s", topic, payload)
	}

	if err := Insert(ctx, pool, "task-updates", ev); !pgerr.IsUniqueViolation(err, "") {
		t.Errorf("the same event again: %v, want a unique violation", err)
	}
	for _, bad := range []struct {
		name  string
		topic string
		ev    Event
	}{
		{"no event id", "task-updates", &eventsv1.TaskUpdateEvent{}},
		{"event id not a uuid", "task-updates", &eventsv1.TaskUpdateEvent{EventId: "42"}},
		{"no topic", "", &eventsv1.TaskUpdateEvent{EventId: uuid.NewString()}},
	} {
		if err := Insert(ctx, pool, bad.topic, bad.ev); err == nil {
			t.Errorf("%s: inserted", bad.name)
		}
	}
	var rows int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Errorf("%d rows in the outbox, want the 1 event", rows)
	}
}
