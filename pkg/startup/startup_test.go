package startup

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
	"github.com/taskmesh/taskmesh/pkg/pgtest"
	recurringsql "github.com/taskmesh/taskmesh/sql/recurring"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestMigrateOnlyMigratesAndStops(t *testing.T) {
	url := pgtest.NewDatabase(t, nil)
	ctx := context.Background()
	// No sidecar and no keys: a migration Job has only the database.
	svc, err := Begin(ctx, "recurring", env(map[string]string{"MIGRATE_ONLY": "true", "DATABASE_URL": url}), io.Discard, RequireSidecar())
	if err != nil {
		t.Fatalf("Begin with MIGRATE_ONLY: %v", err)
	}
	defer svc.Close()
	if v, err := svc.Verifier(ctx); v != nil || err != nil {
		t.Fatalf("Verifier with MIGRATE_ONLY = %v, %v; want nil, nil", v, err)
	}
	if _, err := svc.Database(ctx, "recurring", recurringsql.Migrations); !errors.Is(err, ErrMigrated) {
		t.Fatalf("Database with MIGRATE_ONLY = %v; want ErrMigrated", err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('recurring.processed_events') IS NOT NULL`).Scan(&exists); err != nil || !exists {
		t.Fatalf("the schema was not migrated: %v, %v", exists, err)
	}
}

func TestEveryRunsUntilClose(t *testing.T) {
	svc, err := Begin(context.Background(), "x", env(map[string]string{}), io.Discard, OptionalSidecar("testing"))
	if err != nil {
		t.Fatal(err)
	}
	var runs atomic.Int32
	svc.Every(5*time.Millisecond, "counting", func(context.Context) error {
		runs.Add(1)
		return errors.New("failures are logged, not fatal")
	})
	deadline := time.Now().Add(5 * time.Second)
	for runs.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the task did not run 3 times in 5 s")
		}
		time.Sleep(time.Millisecond)
	}
	svc.Close() // waits for the running task
	after := runs.Load()
	time.Sleep(30 * time.Millisecond)
	if runs.Load() != after {
		t.Fatal("the task kept running after Close")
	}
}

// TestASidecarNeedsTheAppToken: a service told where its sidecar is but not given the
// app API token refuses to start, at once and naming the variable, rather than serve
// mesh-only methods and Dapr callbacks that anyone could call.
func TestASidecarNeedsTheAppToken(t *testing.T) {
	for name, vars := range map[string]map[string]string{
		"missing":   {"DAPR_GRPC_PORT": "1"},
		"too short": {"DAPR_GRPC_PORT": "1", apptoken.EnvVar: "short"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Begin(context.Background(), "x", env(vars), io.Discard, OptionalSidecar("testing"))
			if err == nil || !strings.Contains(err.Error(), apptoken.EnvVar) {
				t.Fatalf("Begin = %v; want an error naming %s", err, apptoken.EnvVar)
			}
		})
	}
}
