package pgschema_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskmesh/taskmesh/pkg/pgschema"
	"github.com/taskmesh/taskmesh/pkg/pgtest"
)

// TestPoolUUIDs round-trips google/uuid values, as sqlc's generated code passes them,
// through a pool's connections: scalars, arrays, NULL into a pointer and a value, and every
// protocol mode pgx has (binary and text results).
func TestPoolUUIDs(t *testing.T) {
	ctx := context.Background()
	pool, err := pgschema.Pool(ctx, pgtest.NewDatabase(t, nil), "uuidtest")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	a, b := uuid.New(), uuid.MustParse("00000000-0000-0000-0000-0000000000ff")
	modes := map[string]pgx.QueryExecMode{
		"cache statement": pgx.QueryExecModeCacheStatement, "cache describe": pgx.QueryExecModeCacheDescribe,
		"describe exec": pgx.QueryExecModeDescribeExec, "exec": pgx.QueryExecModeExec, "simple protocol": pgx.QueryExecModeSimpleProtocol,
	}
	for name, mode := range modes {
		t.Run(name, func(t *testing.T) {
			var got uuid.UUID
			var text string
			if err := pool.QueryRow(ctx, `SELECT $1::uuid, $1::uuid::text`, mode, a).Scan(&got, &text); err != nil {
				t.Fatal(err)
			}
			if got != a || text != a.String() {
				t.Errorf("uuid %s came back as %s (PostgreSQL read %s)", a, got, text)
			}
			var list []uuid.UUID
			var n int
			if err := pool.QueryRow(ctx, `SELECT $1::uuid[], cardinality($1::uuid[])`, mode, []uuid.UUID{a, b}).Scan(&list, &n); err != nil {
				t.Fatal(err)
			}
			if n != 2 || len(list) != 2 || list[0] != a || list[1] != b {
				t.Errorf("uuid[] {%s, %s} came back as %v (%d elements)", a, b, list, n)
			}
			none := &a
			if err := pool.QueryRow(ctx, `SELECT NULL::uuid`, mode).Scan(&none); err != nil {
				t.Fatal(err)
			}
			if none != nil {
				t.Errorf("NULL came back as %s", none)
			}
			// As uuid.UUID.Scan does, which pgx called before: NULL leaves a value as it was.
			if err := pool.QueryRow(ctx, `SELECT NULL::uuid`, mode).Scan(&got); err != nil || got != a {
				t.Errorf("NULL into a uuid.UUID holding %s: %s, %v", a, got, err)
			}
		})
	}
}

// BenchmarkPoolUUIDArray measures a query that passes and returns 50 uuids, as the api's
// list path does when it loads a page's tags and reminders; -benchmem shows the
// allocations the codec saves.
func BenchmarkPoolUUIDArray(b *testing.B) {
	ctx := context.Background()
	pool, err := pgschema.Pool(ctx, pgtest.NewDatabase(b, nil), "uuidtest")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	ids := make([]uuid.UUID, 50)
	for i := range ids {
		ids[i] = uuid.New()
	}
	for b.Loop() {
		rows, err := pool.Query(ctx, `SELECT unnest($1::uuid[])`, ids)
		if err != nil {
			b.Fatal(err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil || len(got) != len(ids) {
			b.Fatal(len(got), err)
		}
	}
}
