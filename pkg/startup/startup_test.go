package startup

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
	"github.com/taskmesh/taskmesh/pkg/pgtest"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
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

func TestTokenKeys(t *testing.T) {
	ctx := context.Background()
	privFile, pubFile, _ := rpctest.KeyFiles(t)
	_, otherPub, otherIssuer := rpctest.KeyFiles(t)
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	begin := func(e map[string]string) *Service {
		svc, err := Begin(ctx, "x", env(e), io.Discard, OptionalSidecar("testing"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(svc.Close)
		return svc
	}

	t.Run("a verify-only service given the private key refuses to start", func(t *testing.T) {
		for _, e := range []map[string]string{
			{"AUTH_VERIFY_KEY_FILE": privFile},
			{"AUTH_VERIFY_KEY": read(pubFile) + read(privFile)}, // hidden in the set
		} {
			v, err := begin(e).Verifier(ctx)
			if err == nil || !strings.Contains(err.Error(), "AUTH_VERIFY_KEY: verify keys: this is a PRIVATE key") {
				t.Fatalf("Verifier = %v, %v; want the error saying a private key was given", v, err)
			}
		}
	})

	t.Run("verifiers accept every key of the set", func(t *testing.T) {
		v, err := begin(map[string]string{"AUTH_VERIFY_KEY": read(pubFile) + read(otherPub)}).Verifier(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := otherIssuer.Issue(uuid.New())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(tok); err != nil {
			t.Fatalf("token of the second key of the set: %v", err)
		}
	})

	t.Run("the issuer needs the key set and accepts it", func(t *testing.T) {
		if _, err := begin(map[string]string{"AUTH_SIGNING_KEY_FILE": privFile}).Issuer(ctx, nil); err == nil || !strings.Contains(err.Error(), "AUTH_VERIFY_KEY") {
			t.Fatalf("Issuer without a key set: %v; want an error naming AUTH_VERIFY_KEY", err)
		}
		// Mid-rotation: this replica still signs with the old key, another one already
		// with the new key, whose public half is in the set.
		iss, err := begin(map[string]string{"AUTH_SIGNING_KEY_FILE": privFile, "AUTH_VERIFY_KEY": read(pubFile) + read(otherPub)}).Issuer(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := otherIssuer.Issue(uuid.New())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := iss.Verify(tok); err != nil {
			t.Fatalf("token signed by the other replica's new key: %v", err)
		}
	})
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
