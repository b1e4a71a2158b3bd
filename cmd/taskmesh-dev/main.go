// Command taskmesh-dev runs the whole mesh locally (see pkg/devmesh) until Ctrl-C, then
// stops everything it started and nothing else. `make run` calls it after making sure
// PostgreSQL, Redis and daprd are there.
//
//	go run ./cmd/taskmesh-dev [-web 127.0.0.1:8080] [-apps api,recurring,notification,audit,realtime,web] [-run-dir .run] [-wait 0s] [-render]
//
// Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/taskmesh),
// REDIS_ADDR (default 127.0.0.1:6379), DAPRD (the daprd binary; default: built or reused
// by scripts/install-daprd.sh).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"

	"github.com/taskmesh/taskmesh/pkg/devmesh"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "taskmesh-dev:", err)
		os.Exit(1)
	}
}

func run() error {
	web := flag.String("web", "127.0.0.1:8080", "address of the web gateway")
	apps := flag.String("apps", strings.Join(devmesh.Apps, ","), "apps to run")
	runDirFlag := flag.String("run-dir", ".run", "directory for binaries, resources, secrets and logs (one mesh per directory)")
	wait := flag.Duration("wait", 0, "how long to wait for another mesh on this machine to stop (one mesh per machine: Dapr's mDNS would mix them)")
	renderOnly := flag.Bool("render", false, "only render the Dapr resources and secrets into the run directory (for dapr.yaml) and exit")
	flag.Parse()

	root, err := os.Getwd()
	if err != nil {
		return err
	}
	runDir, err := filepath.Abs(*runDirFlag)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return err
	}
	// One mesh per checkout: a second `make run` says so instead of failing obscurely.
	lock, err := os.OpenFile(filepath.Join(runDir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return errors.New("Taskmesh is already running from this checkout (another `make run`); stop it with Ctrl-C first")
	}
	if l, err := net.Listen("tcp", *web); err != nil {
		return fmt.Errorf("%s is taken (is Taskmesh already running?): %w", *web, err)
	} else {
		l.Close()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dbURL := envOr("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/taskmesh?sslmode=disable")
	if *renderOnly {
		return devmesh.Render(devmesh.Config{Root: root, RunDir: runDir, DatabaseURL: dbURL,
			RedisAddr: envOr("REDIS_ADDR", "127.0.0.1:6379"), Apps: strings.Split(*apps, ",")})
	}
	if err := ensureDatabase(ctx, dbURL); err != nil {
		return err
	}
	daprd := os.Getenv("DAPRD")
	if daprd == "" {
		out, err := exec.CommandContext(ctx, filepath.Join(root, "scripts", "install-daprd.sh")).Output()
		if err != nil {
			return fmt.Errorf("install daprd: %w", err)
		}
		daprd = strings.TrimSpace(string(out))
	}

	fmt.Println("starting the mesh...")
	m, err := devmesh.Start(ctx, devmesh.Config{
		Root: root, RunDir: runDir, DatabaseURL: dbURL,
		RedisAddr: envOr("REDIS_ADDR", "127.0.0.1:6379"), Daprd: daprd,
		WebAddr: *web, Apps: strings.Split(*apps, ","), Log: os.Stdout, WaitForMachine: *wait,
	})
	if err != nil {
		return err
	}
	fmt.Printf("\nTaskmesh is running: open %s\n", m.WebURL)
	fmt.Printf("logs: %s (one file per app and per sidecar)\n", filepath.Join(runDir, "logs"))
	fmt.Println("press Ctrl-C to stop")
	<-ctx.Done()
	fmt.Println("\nstopping...")
	m.Stop()
	fmt.Println("stopped")
	return nil
}

// ensureDatabase creates the database of url on its server when it does not exist.
func ensureDatabase(ctx context.Context, url string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	name := cfg.Database
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("reach PostgreSQL at %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return fmt.Errorf("create database %s: %w", name, err)
		}
		fmt.Printf("created database %s\n", name)
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
