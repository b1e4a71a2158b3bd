package apierr_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/taskmesh/taskmesh/pkg/apierr"
	"github.com/taskmesh/taskmesh/pkg/rpclog"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

const procedure = "/taskmesh.test.v1.ErrorService/Fail"

// TestInterceptorShowsClientsTheirErrorAndLogsTheRest: behind rpclog, as every service
// installs them, a domain error reaches the client as its Connect code and message, and
// an internal one as a generic Internal error whose cause is only in the log line; both
// carry the request id.
func TestInterceptorShowsClientsTheirErrorAndLogsTheRest(t *testing.T) {
	logs := &rpctest.LogBuffer{}
	opts := connect.WithInterceptors(rpclog.NewInterceptor(zerolog.New(logs)), apierr.NewInterceptor())
	mux := http.NewServeMux()
	mux.Handle(procedure, connect.NewUnaryHandler(procedure,
		func(_ context.Context, req *connect.Request[wrapperspb.StringValue]) (*connect.Response[wrapperspb.StringValue], error) {
			switch req.Msg.GetValue() {
			case "missing":
				return nil, fmt.Errorf("get task: %w", apierr.NotFound("task"))
			case "broken":
				return nil, fmt.Errorf("get task: %w", errors.New("connection refused to 10.0.0.7"))
			}
			return connect.NewResponse(req.Msg), nil
		}, opts))
	client := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](http.DefaultClient, rpctest.NewServer(t, mux)+procedure)

	for _, tc := range []struct {
		in, id   string
		code     connect.Code
		message  string // what the client reads
		logLevel string
		logged   string // in the log line's error
	}{
		{"missing", "id-missing", connect.CodeNotFound, "task not found", "info", "task not found"},
		{"broken", "id-broken", connect.CodeInternal, "internal error", "error", "get task: connection refused to 10.0.0.7"},
	} {
		req := connect.NewRequest(wrapperspb.String(tc.in))
		req.Header().Set(rpclog.RequestIDHeader, tc.id)
		_, err := client.CallUnary(context.Background(), req)
		var cerr *connect.Error
		if !errors.As(err, &cerr) || cerr.Code() != tc.code || cerr.Message() != tc.message {
			t.Fatalf("%s: client got %v; want %v %q", tc.in, err, tc.code, tc.message)
		}
		if got := cerr.Meta().Get(rpclog.RequestIDHeader); got != tc.id {
			t.Fatalf("%s: error carries request id %q; want %q", tc.in, got, tc.id)
		}
		var line string
		for l := range strings.Lines(logs.String()) {
			if strings.Contains(l, `"request_id":"`+tc.id+`"`) {
				line = l
			}
		}
		if !strings.Contains(line, `"level":"`+tc.logLevel+`"`) || !strings.Contains(line, tc.logged) {
			t.Fatalf("%s: log line %q; want level %s with %q", tc.in, line, tc.logLevel, tc.logged)
		}
	}
}
