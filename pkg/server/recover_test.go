package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
	"github.com/taskmesh/taskmesh/pkg/rpclog"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/pkg/server"
)

const (
	unaryProcedure  = "/taskmesh.test.v1.PanicService/Echo"
	streamProcedure = "/taskmesh.test.v1.PanicService/EchoStream"
)

// echo answers its input, and panics when asked to.
func echo(in string) string {
	if in == "panic" {
		var m map[string]int
		m["boom"]++ // a nil-map write: a real runtime panic, not just panic("...")
	}
	return in
}

// serve runs a real server (server.Serve) with the unary and streaming echo handlers
// behind opts, until the test ends.
func serve(t *testing.T, opts connect.HandlerOption) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(unaryProcedure, connect.NewUnaryHandler(unaryProcedure,
		func(_ context.Context, req *connect.Request[wrapperspb.StringValue]) (*connect.Response[wrapperspb.StringValue], error) {
			return connect.NewResponse(wrapperspb.String(echo(req.Msg.GetValue()))), nil
		}, opts))
	mux.Handle(streamProcedure, connect.NewServerStreamHandler(streamProcedure,
		func(_ context.Context, req *connect.Request[wrapperspb.StringValue], stream *connect.ServerStream[wrapperspb.StringValue]) error {
			return stream.Send(wrapperspb.String(echo(req.Msg.GetValue())))
		}, opts))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, lis, mux, zerolog.Nop()) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + lis.Addr().String()
}

// TestAPanicAnswersInternalAndTheServerKeepsServing: with either shared chain, a handler
// that panics answers Internal with a generic message (the panic stays out of the
// client's sight), its request is logged at error level with the request id and the
// panic, and the next call on the same server succeeds. Unary and streaming, Connect and
// gRPC.
func TestAPanicAnswersInternalAndTheServerKeepsServing(t *testing.T) {
	chains := []struct {
		name   string
		opts   func(zerolog.Logger) connect.HandlerOption
		header http.Header
	}{
		{"public", func(l zerolog.Logger) connect.HandlerOption {
			return server.HandlerOptions(l, nil, func(string) bool { return true })
		}, http.Header{}},
		{"mesh", func(l zerolog.Logger) connect.HandlerOption {
			return server.MeshHandlerOptions(l, testToken, "recurring")
		},
			http.Header{server.CallerAppIDHeader: {"recurring"}, apptoken.Header: {testSecret}}},
	}
	for _, chain := range chains {
		for _, p := range rpctest.Protocols {
			t.Run(chain.name+"/"+p.Name, func(t *testing.T) {
				logs := &rpctest.LogBuffer{}
				base := serve(t, chain.opts(zerolog.New(logs)))
				unary := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](p.HTTPClient(), base+unaryProcedure, p.Options...)
				stream := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](p.HTTPClient(), base+streamProcedure, p.Options...)
				callUnary := func(in, requestID string) (string, error) {
					req := connect.NewRequest(wrapperspb.String(in))
					for k, v := range chain.header {
						req.Header()[k] = v
					}
					req.Header().Set(rpclog.RequestIDHeader, requestID)
					resp, err := unary.CallUnary(context.Background(), req)
					if err != nil {
						return "", err
					}
					return resp.Msg.GetValue(), nil
				}
				callStream := func(in, requestID string) (string, error) {
					req := connect.NewRequest(wrapperspb.String(in))
					for k, v := range chain.header {
						req.Header()[k] = v
					}
					req.Header().Set(rpclog.RequestIDHeader, requestID)
					s, err := stream.CallServerStream(context.Background(), req)
					if err != nil {
						return "", err
					}
					defer s.Close()
					var out string
					for s.Receive() {
						out += s.Msg().GetValue()
					}
					return out, s.Err()
				}
				for name, call := range map[string]func(string, string) (string, error){"unary": callUnary, "stream": callStream} {
					id := "req-" + chain.name + "-" + p.Name + "-" + name
					_, err := call("panic", id)
					rpctest.WantCode(t, err, connect.CodeInternal)
					var cerr *connect.Error
					if !errors.As(err, &cerr) || cerr.Message() != "internal error" {
						t.Fatalf("%s: the client sees %v; want the generic \"internal error\"", name, err)
					}
					if line := logLine(t, logs.String(), id); line["level"] != "error" || line["code"] != "internal" ||
						!strings.Contains(line["error"].(string), "panic in "+procedureOf(name)) ||
						!strings.Contains(line["error"].(string), "assignment to entry in nil map") {
						t.Fatalf("%s: log line %v; want the panic logged at error level with its request id", name, line)
					}
					got, err := call("still here", id+"-after")
					if err != nil || got != "still here" {
						t.Fatalf("%s: the call after the panic = %q, %v; want it served", name, got, err)
					}
				}
			})
		}
	}
}

func procedureOf(name string) string {
	if name == "unary" {
		return unaryProcedure
	}
	return streamProcedure
}

// logLine returns the "rpc" log line of the request id, failing the test without one.
func logLine(t *testing.T, logs, requestID string) map[string]any {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		if line["request_id"] == requestID && line["message"] == "rpc" {
			return line
		}
	}
	t.Fatalf("no rpc log line with request id %s in:\n%s", requestID, logs)
	return nil
}
