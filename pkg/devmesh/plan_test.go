package devmesh

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
)

// TestPlanGivesEveryInstanceItsOwnPorts plans a mesh with replicas (nothing starts):
// every port of every instance (app, sidecar gRPC, HTTP and internal gRPC) is unique
// across the whole mesh, the gateway keeps its fixed address, each app is told its own
// ports, and the gateway is pointed at realtime.
func TestPlanGivesEveryInstanceItsOwnPorts(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	m := newMesh(Config{
		Root: root, RunDir: t.TempDir(), DatabaseURL: "postgres://x@127.0.0.1/db", RedisAddr: "127.0.0.1:6379",
		WebAddr: "127.0.0.1:18080", Replicas: map[string]int{meshnames.API: 3, meshnames.Realtime: 2},
	}.withDefaults())
	if err := m.plan(); err != nil {
		t.Fatal(err)
	}
	seen := map[int]string{}
	count := 0
	for _, app := range m.cfg.Apps {
		want := max(m.cfg.Replicas[app], 1)
		if got := len(m.Instances[app]); got != want {
			t.Fatalf("%s: %d instances; want %d", app, got, want)
		}
		for _, in := range m.Instances[app] {
			count++
			name := app + "-" + strconv.Itoa(in.Index)
			internal, err := strconv.Atoi(arg(in.daprArgs, "--dapr-internal-grpc-port"))
			if err != nil {
				t.Fatalf("%s: internal gRPC port: %v", name, err)
			}
			for _, p := range []int{in.AppPort, in.GRPCPort, in.HTTPPort, internal} {
				if other, dup := seen[p]; dup {
					t.Fatalf("port %d is handed to both %s and %s", p, other, name)
				}
				seen[p] = name
			}
			if arg(in.daprArgs, "--app-port") != strconv.Itoa(in.AppPort) || arg(in.daprArgs, "--app-id") != app {
				t.Fatalf("%s: daprd args %v do not match the instance", name, in.daprArgs)
			}
			for _, kv := range []string{"ADDR=127.0.0.1:" + strconv.Itoa(in.AppPort), "DAPR_GRPC_PORT=" + strconv.Itoa(in.GRPCPort)} {
				if !slices.Contains(in.env, kv) {
					t.Fatalf("%s: environment lacks %s", name, kv)
				}
			}
			if _, err := os.Stat(filepath.Join(m.cfg.RunDir, "dapr", name, "config.yaml")); err != nil {
				t.Fatalf("%s: resources not rendered: %v", name, err)
			}
		}
	}
	if len(seen) != 4*count {
		t.Fatalf("%d distinct ports for %d instances", len(seen), count)
	}
	web := m.Instances[meshnames.Web][0]
	if web.AppPort != 18080 || m.WebURL != "http://127.0.0.1:18080" {
		t.Fatalf("gateway on %d (%s); want the fixed 18080", web.AppPort, m.WebURL)
	}
	rt := "REALTIME_URL=http://127.0.0.1:" + strconv.Itoa(m.Instances[meshnames.Realtime][0].AppPort)
	if !slices.Contains(web.env, rt) {
		t.Fatalf("gateway environment lacks %s", rt)
	}
}

// arg returns the value after flag in args, or "".
func arg(args []string, flag string) string {
	if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

// lastEnv returns the value of key in env (the last one wins, as exec does), or "".
func lastEnv(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// TestPlanGivesEachInstanceAnAppToken: every app and its own daprd get the same random
// app API token, and no two instances share one (a token reaches only its own app).
func TestPlanGivesEachInstanceAnAppToken(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(apptoken.EnvVar, "inherited-from-the-shell-and-never-used")
	m := newMesh(Config{
		Root: root, RunDir: t.TempDir(), DatabaseURL: "postgres://x@127.0.0.1/db", RedisAddr: "127.0.0.1:6379",
		Replicas: map[string]int{meshnames.API: 2},
	}.withDefaults())
	if err := m.plan(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for app, instances := range m.Instances {
		for _, in := range instances {
			name := app + "-" + strconv.Itoa(in.Index)
			tok := lastEnv(in.env, apptoken.EnvVar)
			if _, err := apptoken.New(tok); err != nil {
				t.Fatalf("%s: app token %q: %v", name, tok, err)
			}
			if got := lastEnv(in.daprEnv, apptoken.EnvVar); got != tok {
				t.Fatalf("%s: daprd has token %q, the app %q", name, got, tok)
			}
			if other, dup := seen[tok]; dup {
				t.Fatalf("%s and %s share an app token", name, other)
			}
			seen[tok] = name
		}
	}
}
