package sidecar_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/grpc"

	"github.com/taskmesh/taskmesh/pkg/dapr/sidecar"
)

// TestConnectKeepsStdoutJSON connects to a gRPC server standing in for the sidecar (the
// SDK only needs the connection up) in a child process whose logger writes to stdout, as
// a service's does, and checks every line the child printed: all JSON, and the SDK's
// "dapr client initializing" line among them, as a zerolog event.
func TestConnectKeepsStdoutJSON(t *testing.T) {
	if os.Getenv("SIDECAR_TEST_CHILD") == "1" {
		connectAndExit()
		return
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	cmd := exec.Command(os.Args[0], "-test.run=^TestConnectKeepsStdoutJSON$")
	cmd.Env = append(os.Environ(), "SIDECAR_TEST_CHILD=1",
		"DAPR_GRPC_PORT="+strconv.Itoa(lis.Addr().(*net.TCPAddr).Port))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	var sawSDK bool
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("stdout line is not JSON: %q", sc.Text())
		}
		if msg, _ := line["message"].(string); strings.HasPrefix(msg, "dapr client initializing for: 127.0.0.1:") {
			sawSDK = true
			if line["service"] != "child" || line["component"] != "dapr-sdk" || line["level"] != "info" {
				t.Fatalf("SDK line %v; want it with the service's fields, component dapr-sdk, level info", line)
			}
		}
	}
	if !sawSDK {
		t.Fatalf("the SDK's connect line is not on stdout as JSON; stdout:\n%s", out)
	}
}

// connectAndExit is the child: it connects and exits before the test framework prints
// its own summary on stdout.
func connectAndExit() {
	log := zerolog.New(os.Stdout).With().Str("service", "child").Logger()
	sc, err := sidecar.Connect(context.Background(), os.Getenv, 10*time.Second, log)
	if err != nil {
		log.Error().Err(err).Msg("connect")
		os.Exit(2)
	}
	sc.Close()
	os.Exit(0)
}
