// Package devmesh runs the whole Taskmesh mesh on one machine: every service binary with
// its own daprd sidecar (app protocol gRPC, app health checks on), on free loopback ports,
// with the Dapr resources of deploy/dapr/local rendered for this run. `make run` and the
// end-to-end tests both use it, so the mesh a developer runs is the mesh the tests drive.
package devmesh

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"

	"connectrpc.com/grpchealth"
	"github.com/google/uuid"

	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
)

// Apps are the services of the mesh, in start order.
var Apps = []string{meshnames.API, meshnames.Recurring, meshnames.Notification, meshnames.Audit, meshnames.Realtime, meshnames.Web}

// Config says where things are and what to run.
type Config struct {
	// Root is the repository root (services are built from Root/services/<app>).
	Root string
	// RunDir receives binaries, rendered resources, secrets and logs.
	RunDir string
	// DatabaseURL is the PostgreSQL database every service migrates its schema into.
	DatabaseURL string
	// RedisAddr is the Redis for pub/sub and state (host:port).
	RedisAddr string
	// RedisDB is the Redis database number the mesh uses (0 to 15).
	RedisDB int
	// Daprd is the daprd binary.
	Daprd string
	// WebAddr is where the gateway listens (default 127.0.0.1:0).
	WebAddr string
	// Replicas of an app (default 1).
	Replicas map[string]int
	// Apps to run (default Apps).
	Apps []string
	// Log receives progress lines (default io.Discard).
	Log io.Writer
	// WaitForMachine is how long Start waits for another mesh on this machine to stop
	// (0: fail at once). See MachineLock.
	WaitForMachine time.Duration
}

// MachineLock is the file every running mesh holds a lock on. Dapr's local name
// resolution (mDNS) finds apps by id across the whole machine, so two meshes running at
// once would call into each other: one mesh at a time per machine.
var MachineLock = filepath.Join(os.TempDir(), "taskmesh-devmesh.lock")

// ErrMachineBusy is returned by Start when another mesh runs on this machine.
var ErrMachineBusy = errors.New("another Taskmesh mesh is running on this machine (make run, or the end-to-end tests): Dapr's mDNS would mix their services; stop it first")

// lockMachine takes MachineLock, waiting up to wait.
func lockMachine(wait time.Duration) (*os.File, error) {
	f, err := os.OpenFile(MachineLock, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	for {
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
			return f, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, ErrMachineBusy
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Instance is one replica of an app and its sidecar.
type Instance struct {
	App      string
	Index    int
	AppPort  int
	GRPCPort int // the sidecar's gRPC API
	HTTPPort int // the sidecar's HTTP API
	AppLog   string
	DaprLog  string

	mesh       *Mesh
	env        []string
	daprEnv    []string
	daprArgs   []string
	mu         sync.Mutex
	app, daprd *proc
}

// proc is a started process; done is closed once it has exited.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) running() bool {
	if p == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// wait waits up to timeout for the process to exit.
func (p *proc) wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("pid %d still running after %s", p.cmd.Process.Pid, timeout)
	}
}

// Mesh is a running mesh.
type Mesh struct {
	cfg       Config
	bins      map[string]string
	lock      *os.File
	Instances map[string][]*Instance
	// WebURL is the gateway's base URL.
	WebURL string
}

// DatabaseURL is the database the mesh's services use.
func (m *Mesh) DatabaseURL() string { return m.cfg.DatabaseURL }

// URL is the base URL of an instance's app port (reachable directly, bypassing Dapr).
func (in *Instance) URL() string { return "http://127.0.0.1:" + strconv.Itoa(in.AppPort) }

// AppPID is the app's process id (to read its memory in /proc), or 0 when it is not
// running.
func (in *Instance) AppPID() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.app.running() {
		return 0
	}
	return in.app.cmd.Process.Pid
}

// Start builds the services, renders the resources and secrets, starts every instance
// and waits until all are healthy. On error, whatever was started is stopped.
func Start(ctx context.Context, cfg Config) (*Mesh, error) {
	cfg = cfg.withDefaults()
	for _, dir := range []string{"bin", "logs", "dapr"} {
		if err := os.MkdirAll(filepath.Join(cfg.RunDir, dir), 0o755); err != nil {
			return nil, err
		}
	}
	lock, err := lockMachine(cfg.WaitForMachine)
	if err != nil {
		return nil, err
	}
	m := newMesh(cfg)
	m.lock = lock
	if err := m.up(ctx); err != nil {
		m.Stop()
		return nil, err
	}
	return m, nil
}

func (cfg Config) withDefaults() Config {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if len(cfg.Apps) == 0 {
		cfg.Apps = Apps
	}
	if cfg.WebAddr == "" {
		cfg.WebAddr = "127.0.0.1:0"
	}
	return cfg
}

func newMesh(cfg Config) *Mesh {
	return &Mesh{cfg: cfg, bins: map[string]string{}, Instances: map[string][]*Instance{}}
}

// up builds the binaries, plans every instance, starts them all and waits until they
// are healthy; the caller stops whatever it started when it fails.
func (m *Mesh) up(ctx context.Context) error {
	if err := m.build(ctx); err != nil {
		return err
	}
	if err := m.plan(); err != nil {
		return err
	}
	if err := m.start(); err != nil {
		return err
	}
	return m.wait(ctx)
}

// plan decides every instance before anything starts (web needs realtime's port): its
// ports, its logs, its rendered Dapr resources, daprd's arguments and the app's
// environment. One set of taken ports for the whole mesh, so that no two instances are
// handed the same port.
func (m *Mesh) plan() error {
	secrets, err := writeSecrets(m.cfg.RunDir, m.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	webPort, err := portOf(m.cfg.WebAddr)
	if err != nil {
		return err
	}
	taken := map[int]bool{webPort: webPort != 0} // the gateway's fixed port is no one else's
	for _, app := range m.cfg.Apps {
		for i := range max(m.cfg.Replicas[app], 1) {
			appPort := 0 // a free one
			if app == meshnames.Web && i == 0 {
				appPort = webPort
			}
			in, err := m.planInstance(app, i, appPort, taken, secrets)
			if err != nil {
				return err
			}
			m.Instances[app] = append(m.Instances[app], in)
		}
	}
	if rt := m.Instances[meshnames.Realtime]; len(rt) > 0 {
		for _, in := range m.Instances[meshnames.Web] {
			in.env = append(in.env, "REALTIME_URL=http://127.0.0.1:"+strconv.Itoa(rt[0].AppPort))
		}
	}
	if web := m.Instances[meshnames.Web]; len(web) > 0 {
		m.WebURL = "http://127.0.0.1:" + strconv.Itoa(web[0].AppPort)
	}
	return nil
}

// planInstance plans replica i of app, on appPort (0: a free port), taking its ports
// from taken.
func (m *Mesh) planInstance(app string, i, appPort int, taken map[int]bool, secrets string) (*Instance, error) {
	ports, err := freePorts(4, taken)
	if err != nil {
		return nil, err
	}
	in := &Instance{App: app, Index: i, mesh: m, AppPort: ports[0], GRPCPort: ports[1], HTTPPort: ports[2]}
	if appPort != 0 {
		in.AppPort = appPort
	}
	name := fmt.Sprintf("%s-%d", app, i)
	in.AppLog = filepath.Join(m.cfg.RunDir, "logs", name+".log")
	in.DaprLog = filepath.Join(m.cfg.RunDir, "logs", name+"-daprd.log")
	resources := filepath.Join(m.cfg.RunDir, "dapr", name)
	err = renderResources(filepath.Join(m.cfg.Root, "deploy", "dapr", "local"), resources, resourceValues{
		RedisAddr: m.cfg.RedisAddr, RedisDB: m.cfg.RedisDB, SecretsFile: secrets,
		BroadcastConsumerID: name + "-" + uuid.NewString()[:8],
	})
	if err != nil {
		return nil, err
	}
	in.daprArgs = []string{
		"--app-id", app, "--app-port", strconv.Itoa(in.AppPort), "--app-protocol", "grpc",
		"--dapr-grpc-port", strconv.Itoa(in.GRPCPort), "--dapr-http-port", strconv.Itoa(in.HTTPPort),
		"--dapr-internal-grpc-port", strconv.Itoa(ports[3]), "--dapr-listen-addresses", "127.0.0.1",
		"--enable-metrics=false", "--resources-path", resources,
		"--config", filepath.Join(resources, "config.yaml"),
		"--enable-app-health-check", "--app-health-probe-interval", "1", "--app-health-threshold", "2",
		"--dapr-graceful-shutdown-seconds", "3", "--log-level", "warn",
	}
	// The app API token: daprd sends it with every call to the app, and the app refuses
	// mesh-only calls and callbacks without it. One per instance, as on Kubernetes each
	// pod's sidecar and app share theirs.
	token, err := newAppToken()
	if err != nil {
		return nil, err
	}
	in.daprEnv = append(os.Environ(), apptoken.EnvVar+"="+token)
	in.env = append(os.Environ(),
		apptoken.EnvVar+"="+token,
		"ADDR=127.0.0.1:"+strconv.Itoa(in.AppPort),
		"DAPR_GRPC_PORT="+strconv.Itoa(in.GRPCPort),
		"DAPR_HTTP_PORT="+strconv.Itoa(in.HTTPPort),
		"LOG_FORMAT=json",
		"FRONTEND_DIR="+filepath.Join(m.cfg.Root, "frontend", "dist"),
	)
	return in, nil
}

// newAppToken returns a fresh random app API token (256 bits, hex).
func newAppToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("app API token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// start starts every planned instance, in the apps' order.
func (m *Mesh) start() error {
	for _, app := range m.cfg.Apps {
		for _, in := range m.Instances[app] {
			if err := in.Start(); err != nil {
				return err
			}
		}
	}
	return nil
}

// wait waits until every instance is healthy.
func (m *Mesh) wait(ctx context.Context) error {
	for _, app := range m.cfg.Apps {
		for _, in := range m.Instances[app] {
			if err := in.WaitHealthy(ctx, 90*time.Second); err != nil {
				return err
			}
		}
	}
	return nil
}

// Render writes the secrets file and each app's first instance's resources
// (RunDir/dapr/<app>-0), without starting anything: what dapr.yaml (the Dapr CLI's
// multi-app run file) points at.
func Render(cfg Config) error {
	if len(cfg.Apps) == 0 {
		cfg.Apps = Apps
	}
	secrets, err := writeSecrets(cfg.RunDir, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	for _, app := range cfg.Apps {
		name := app + "-0"
		err := renderResources(filepath.Join(cfg.Root, "deploy", "dapr", "local"), filepath.Join(cfg.RunDir, "dapr", name), resourceValues{
			RedisAddr: cfg.RedisAddr, RedisDB: cfg.RedisDB, SecretsFile: secrets, BroadcastConsumerID: name + "-" + uuid.NewString()[:8],
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// build compiles every app's binary into RunDir/bin.
func (m *Mesh) build(ctx context.Context) error {
	args := []string{"build", "-o", filepath.Join(m.cfg.RunDir, "bin") + string(filepath.Separator)}
	for _, app := range m.cfg.Apps {
		args = append(args, "./services/"+app)
		m.bins[app] = filepath.Join(m.cfg.RunDir, "bin", app)
	}
	fmt.Fprintf(m.cfg.Log, "building %s\n", strings.Join(m.cfg.Apps, ", "))
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = m.cfg.Root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}

// Start starts the instance's sidecar and app (again, after Kill or Stop).
func (in *Instance) Start() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.daprd.running() {
		p, err := spawn(in.mesh.cfg.Daprd, in.daprArgs, in.daprEnv, in.DaprLog)
		if err != nil {
			return fmt.Errorf("start daprd for %s: %w", in.App, err)
		}
		in.daprd = p
	}
	if !in.app.running() {
		p, err := spawn(in.mesh.bins[in.App], nil, in.env, in.AppLog)
		if err != nil {
			return fmt.Errorf("start %s: %w", in.App, err)
		}
		in.app = p
	}
	fmt.Fprintf(in.mesh.cfg.Log, "started %s-%d on 127.0.0.1:%d (sidecar gRPC %d), log %s\n", in.App, in.Index, in.AppPort, in.GRPCPort, in.AppLog)
	return nil
}

// spawn starts a process whose output goes to logPath (appended) and that dies with us.
func spawn(bin string, args, env []string, logPath string) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); f.Close(); close(p.done) }()
	return p, nil
}

// WaitHealthy waits until the sidecar reports healthy and the app serves gRPC health.
func (in *Instance) WaitHealthy(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	health := grpchealth.NewClient(http.DefaultClient, "http://127.0.0.1:"+strconv.Itoa(in.AppPort))
	daprHealth := "http://127.0.0.1:" + strconv.Itoa(in.HTTPPort) + "/v1.0/healthz"
	for {
		appOK := false
		if res, err := health.Check(ctx, &grpchealth.CheckRequest{}); err == nil && res.Status == grpchealth.StatusServing {
			appOK = true
		}
		daprOK := false
		if req, err := http.NewRequestWithContext(ctx, http.MethodGet, daprHealth, nil); err == nil {
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				daprOK = resp.StatusCode/100 == 2
			}
		}
		if appOK && daprOK {
			return nil
		}
		if exited := in.exited(); exited != "" {
			return fmt.Errorf("%s-%d exited: %s (see %s and %s)", in.App, in.Index, exited, in.AppLog, in.DaprLog)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s-%d not healthy after %s (app %v, sidecar %v; see %s and %s)", in.App, in.Index, timeout, appOK, daprOK, in.AppLog, in.DaprLog)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (in *Instance) exited() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	for name, p := range map[string]*proc{"app": in.app, "daprd": in.daprd} {
		if p != nil && !p.running() {
			return name + " " + p.cmd.ProcessState.String()
		}
	}
	return ""
}

// KillApp kills the app process with SIGKILL (no shutdown), leaving its sidecar up.
func (in *Instance) KillApp() error { return in.signal(&in.app, syscall.SIGKILL) }

// KillSidecar kills the sidecar with SIGKILL.
func (in *Instance) KillSidecar() error { return in.signal(&in.daprd, syscall.SIGKILL) }

func (in *Instance) signal(which **proc, sig syscall.Signal) error {
	in.mu.Lock()
	p := *which
	in.mu.Unlock()
	if !p.running() {
		return errors.New("not running")
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return err
	}
	return p.wait(20 * time.Second)
}

// Stop stops the app (SIGTERM: it drains), then its sidecar.
func (in *Instance) Stop() {
	for _, which := range []**proc{&in.app, &in.daprd} {
		in.mu.Lock()
		p := *which
		in.mu.Unlock()
		if !p.running() {
			continue
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		if p.wait(20*time.Second) != nil {
			_ = p.cmd.Process.Kill()
			_ = p.wait(5 * time.Second)
		}
	}
}

// Stop stops every instance, in the reverse of start order, and frees the machine.
func (m *Mesh) Stop() {
	for i := len(m.cfg.Apps) - 1; i >= 0; i-- {
		var wg sync.WaitGroup
		for _, in := range m.Instances[m.cfg.Apps[i]] {
			wg.Add(1)
			go func() { defer wg.Done(); in.Stop() }()
		}
		wg.Wait()
	}
	if m.lock != nil {
		m.lock.Close() // releases the flock
		m.lock = nil
	}
}

type resourceValues struct {
	RedisAddr           string
	RedisDB             int
	SecretsFile         string
	BroadcastConsumerID string
}

// renderResources renders every YAML template of src into dst.
func renderResources(src, dst string, v resourceValues) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(src, "*.yaml"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no Dapr resources in %s", src)
	}
	for _, f := range files {
		t, err := template.New(filepath.Base(f)).Option("missingkey=error").ParseFiles(f)
		if err != nil {
			return fmt.Errorf("parse %s: %w", f, err)
		}
		out, err := os.Create(filepath.Join(dst, filepath.Base(f)))
		if err != nil {
			return err
		}
		err = t.Execute(out, v)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("render %s: %w", f, err)
		}
	}
	return nil
}

// writeSecrets writes the local secret store's file: the database URL and a token key
// pair, kept across runs (so that sessions survive a restart of `make run`).
func writeSecrets(runDir, databaseURL string) (string, error) {
	path := filepath.Join(runDir, "secrets.json")
	secrets := map[string]string{}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &secrets)
	}
	if secrets[meshnames.SigningKeySecret] == "" {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return "", err
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return "", err
		}
		pubDER, err := x509.MarshalPKIXPublicKey(priv.Public())
		if err != nil {
			return "", err
		}
		secrets[meshnames.SigningKeySecret] = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		secrets[meshnames.VerifyKeySecret] = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	}
	secrets[meshnames.DatabaseURLSecret] = databaseURL
	b, err := json.MarshalIndent(secrets, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", err
	}
	return path, nil
}

// freePorts returns n TCP ports that are free on every interface (daprd binds some of
// its ports on all of them) and not in taken, and adds them to taken. They are drawn from
// 20000-31999, below Linux's ephemeral range, so that the outgoing connections made
// between the check and the bind (to PostgreSQL, Redis, other apps) cannot take them.
func freePorts(n int, taken map[int]bool) ([]int, error) {
	var ports []int
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 {
			return nil, errors.New("no free TCP port in 20000-31999")
		}
		b := make([]byte, 2)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		p := 20000 + int(binary.BigEndian.Uint16(b))%12000
		if taken[p] {
			continue
		}
		taken[p] = true
		l, err := net.Listen("tcp", ":"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		l.Close()
		ports = append(ports, p)
	}
	return ports, nil
}

// portOf returns the port of host:port, 0 for ":0" or a missing port.
func portOf(addr string) (int, error) {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, fmt.Errorf("address %q: %w", addr, err)
	}
	if p == "" {
		return 0, nil
	}
	return strconv.Atoi(p)
}
