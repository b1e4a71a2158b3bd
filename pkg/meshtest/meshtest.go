// Package meshtest starts the whole mesh for an end-to-end test (pkg/devmesh on a fresh
// PostgreSQL database and a Redis database of its own) and tears it down when the test
// ends, printing the tail of every log if the test failed.
//
// Needs daprd: DAPRD names the binary, else scripts/install-daprd.sh builds or reuses it.
// Two meshes on one machine would find each other's apps through mDNS, so Start waits
// while another mesh (another test binary, `make run`) holds devmesh.MachineLock.
package meshtest

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/taskmesh/taskmesh/pkg/devmesh"
	"github.com/taskmesh/taskmesh/pkg/pgtest"
)

// Option adjusts the mesh's configuration.
type Option func(*devmesh.Config)

// Replicas runs n instances of app.
func Replicas(app string, n int) Option {
	return func(c *devmesh.Config) {
		if c.Replicas == nil {
			c.Replicas = map[string]int{}
		}
		c.Replicas[app] = n
	}
}

// Apps runs only these apps.
func Apps(apps ...string) Option { return func(c *devmesh.Config) { c.Apps = apps } }

// Start starts the mesh and returns it; it is stopped when tb ends.
func Start(tb testing.TB, opts ...Option) *devmesh.Mesh {
	tb.Helper()
	root, err := repoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	daprd, err := Daprd(root)
	if err != nil {
		tb.Fatal(err)
	}
	redisAddr := os.Getenv("REDIS_ADDR")
	if redisAddr == "" {
		redisAddr = "127.0.0.1:6379"
	}
	n, _ := rand.Int(rand.Reader, big.NewInt(15))
	redisDB := int(n.Int64()) + 1 // 0 is left to `make run`
	if err := flushRedis(redisAddr, redisDB); err != nil {
		tb.Fatalf("meshtest: Redis at %s: %v", redisAddr, err)
	}
	cfg := devmesh.Config{
		Root: root, RunDir: tb.TempDir(), DatabaseURL: pgtest.NewDatabase(tb, nil),
		RedisAddr: redisAddr, RedisDB: redisDB, Daprd: daprd,
		// Another mesh (make run, another test binary) finishes first: see MachineLock.
		WaitForMachine: 10 * time.Minute,
	}
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	m, err := devmesh.Start(ctx, cfg)
	if err != nil {
		dumpLogs(tb, cfg.RunDir)
		tb.Fatalf("meshtest: start the mesh: %v", err)
	}
	tb.Cleanup(func() {
		m.Stop()
		if tb.Failed() {
			dumpLogs(tb, cfg.RunDir)
		}
		_ = flushRedis(redisAddr, redisDB)
	})
	return m
}

// Daprd returns the daprd binary: $DAPRD, or the one scripts/install-daprd.sh builds or
// reuses.
func Daprd(root string) (string, error) {
	if d := os.Getenv("DAPRD"); d != "" {
		return d, nil
	}
	out, err := exec.Command(filepath.Join(root, "scripts", "install-daprd.sh")).Output()
	if err != nil {
		return "", fmt.Errorf("meshtest: install daprd: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// repoRoot is the directory of the module's go.mod, above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/taskmesh/taskmesh\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("meshtest: no taskmesh go.mod above the working directory")
		}
		dir = parent
	}
}

// flushRedis empties one Redis database (RESP spoken directly: two commands do not
// justify a client library).
func flushRedis(addr string, db int) error {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	dbs := fmt.Sprint(db)
	if _, err := fmt.Fprintf(conn, "*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n*1\r\n$7\r\nFLUSHDB\r\n", len(dbs), dbs); err != nil {
		return err
	}
	r := bufio.NewReader(conn)
	for range 2 {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, "+OK") {
			return fmt.Errorf("redis: %s", strings.TrimSpace(line))
		}
	}
	return nil
}

// dumpLogs prints the last lines of every log of the run.
func dumpLogs(tb testing.TB, runDir string) {
	files, _ := filepath.Glob(filepath.Join(runDir, "logs", "*.log"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		tb.Logf("==== %s (last %d lines)\n%s", filepath.Base(f), min(40, len(lines)), strings.Join(lines[max(0, len(lines)-40):], "\n"))
	}
}
