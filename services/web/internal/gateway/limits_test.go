package gateway

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/task/v1/taskv1connect"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish/publishtest"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/pkg/server"
)

// fakeTasks stands for the api behind the sidecar: it answers CreateTask with the task
// and counts the calls that reached it.
type fakeTasks struct {
	taskv1connect.UnimplementedTaskServiceHandler
	calls atomic.Int32
}

func (f *fakeTasks) CreateTask(_ context.Context, req *connect.Request[taskv1.CreateTaskRequest]) (*connect.Response[taskv1.CreateTaskResponse], error) {
	f.calls.Add(1)
	return connect.NewResponse(&taskv1.CreateTaskResponse{Task: req.Msg.GetTask()}), nil
}

const bodyTimeout = 300 * time.Millisecond

// limitedGateway serves the gateway (behind the server's own limits, as web does) in
// front of a fake sidecar that is the api (with the api's message limit: a gzipped gRPC
// request passes through to it).
func limitedGateway(t *testing.T) (string, *fakeTasks) {
	t.Helper()
	fake := &fakeTasks{}
	path, h := taskv1connect.NewTaskServiceHandler(fake, server.MessageLimit(server.MaxRequestBytes))
	mux := http.NewServeMux()
	mux.Handle(path, h)
	sidecar := strings.TrimPrefix(rpctest.NewServer(t, mux), "http://")
	gw, err := New(Config{
		SidecarAddr: sidecar, RealtimeURL: "http://127.0.0.1:1", Publisher: &publishtest.Recorder{},
		Log: zerolog.Nop(), BodyReadTimeout: bodyTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lim := server.DefaultLimits
	lim.BodyReadTimeout = bodyTimeout
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.ServeWithLimits(ctx, lis, gw, zerolog.Nop(), lim) }()
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + lis.Addr().String(), fake
}

const createTask = "/" + taskv1connect.TaskServiceName + "/CreateTask"

// post sends body to CreateTask as Connect JSON and returns the status and the body.
func post(t *testing.T, url string, body io.Reader, length int64, header http.Header) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+createTask, body)
	req.ContentLength = length
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Connect-Protocol-Version", "1")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestTheGatewayTakesTheLargestValidTask: a task with every field at its largest passes
// the gateway's limits, in each browser protocol.
func TestTheGatewayTakesTheLargestValidTask(t *testing.T) {
	url, fake := limitedGateway(t)
	task := &taskv1.Task{
		Title:       strings.Repeat("😀", 500),
		Description: strings.Repeat("😀", 10000),
	}
	for range 10 {
		task.Reminders = append(task.Reminders, &taskv1.Reminder{})
	}
	for name, opts := range map[string][]connect.ClientOption{
		"connect-json": {connect.WithProtoJSON()}, "grpc-web": {connect.WithGRPCWeb()}, "connect-gzip": {connect.WithSendGzip()},
	} {
		client := taskv1connect.NewTaskServiceClient(http.DefaultClient, url, opts...)
		resp, err := client.CreateTask(context.Background(), connect.NewRequest(&taskv1.CreateTaskRequest{Task: task}))
		if err != nil || resp.Msg.GetTask().GetDescription() != task.Description {
			t.Fatalf("%s: %v; want the largest valid task through", name, err)
		}
	}
	if fake.calls.Load() != 3 {
		t.Fatalf("the api saw %d calls; want 3", fake.calls.Load())
	}
}

// TestTheGatewayRefusesOversizedRequests: a body over the limit (declared, or sent in
// chunks), 10 MiB of whitespace padding, and a gzip bomb (64 KB that inflates to 64 MiB;
// vanguard on its own would inflate it all) are refused with ResourceExhausted, or 413 for
// a declared length, and never reach the api.
func TestTheGatewayRefusesOversizedRequests(t *testing.T) {
	url, fake := limitedGateway(t)
	padded := []byte(`{"task":{"title":"padded"` + strings.Repeat(" ", 10<<20) + `}}`)
	bomb := gzipJSON(t, 64<<20)

	cases := []struct {
		name   string
		body   io.Reader
		length int64
		header http.Header
	}{
		{"declared too large", bytes.NewReader(padded), int64(len(padded)), nil},
		{"chunked too large", io.MultiReader(bytes.NewReader(padded)), -1, nil},
		{"gzip bomb", bytes.NewReader(bomb), int64(len(bomb)), http.Header{"Content-Encoding": {"gzip"}}},
		{"gzip bomb, chunked", io.MultiReader(bytes.NewReader(bomb)), -1, http.Header{"Content-Encoding": {"gzip"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := post(t, url, c.body, c.length, c.header)
			if status != http.StatusRequestEntityTooLarge && !strings.Contains(body, `"resource_exhausted"`) {
				t.Fatalf("status %d, body %.300s; want resource_exhausted or 413", status, body)
			}
		})
	}

	// gRPC-Web and gRPC, gzipped by the client: small on the wire, 2 MiB inflated.
	big := &taskv1.Task{Title: "big", Description: strings.Repeat("a", 2<<20)}
	for name, opts := range map[string][]connect.ClientOption{
		"grpc-web": {connect.WithGRPCWeb(), connect.WithSendGzip()}, "grpc": {connect.WithGRPC(), connect.WithSendGzip()},
	} {
		hc := http.DefaultClient
		if name == "grpc" {
			hc = rpctest.GRPC.HTTPClient()
		}
		client := taskv1connect.NewTaskServiceClient(hc, url, opts...)
		_, err := client.CreateTask(context.Background(), connect.NewRequest(&taskv1.CreateTaskRequest{Task: big}))
		if connect.CodeOf(err) != connect.CodeResourceExhausted {
			t.Fatalf("%s, gzipped 2 MiB: %v; want ResourceExhausted", name, err)
		}
	}
	if fake.calls.Load() != 0 {
		t.Fatalf("the api saw %d oversized requests", fake.calls.Load())
	}
}

// gzipJSON gzips a CreateTaskRequest in JSON padded with n spaces.
func gzipJSON(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = io.WriteString(zw, `{"task":{"title":"bomb"`)
	spaces := bytes.Repeat([]byte(" "), 1<<20)
	for range n >> 20 {
		_, _ = zw.Write(spaces)
	}
	_, _ = io.WriteString(zw, `}}`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestTheGatewayCutsAStalledBody: a client that declares 100 bytes, sends 4 and stalls
// has its connection closed once the body read timeout runs out, and nothing reaches the
// api.
func TestTheGatewayCutsAStalledBody(t *testing.T) {
	url, fake := limitedGateway(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = io.WriteString(conn, "POST "+createTask+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ta")
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // the safety net only
	_, err = io.Copy(io.Discard, bufio.NewReader(conn))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the connection was still open 20 s after the client stalled")
	}
	if fake.calls.Load() != 0 {
		t.Fatalf("the api saw %d calls", fake.calls.Load())
	}
}
