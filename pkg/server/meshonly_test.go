package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/pkg/server"
)

var (
	testSecret = strings.Repeat("s3cret-", 6)
	testToken  = mustToken(testSecret)
)

func mustToken(s string) apptoken.Token {
	t, err := apptoken.New(s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestMeshOnlyTrustsTheAppTokenNotTheCallerHeader: a mesh-only method answers only calls
// that carry the app API token (which only the app's own sidecar has) from an allowed
// caller, as daprd names it: the last dapr-caller-app-id, since daprd appends its own
// after whatever the client sent.
func TestMeshOnlyTrustsTheAppTokenNotTheCallerHeader(t *testing.T) {
	cases := []struct {
		name   string
		header http.Header
		want   connect.Code // 0: answered
	}{
		{"forged caller, no token", http.Header{server.CallerAppIDHeader: {"recurring"}}, connect.CodeUnauthenticated},
		{"forged caller, wrong token", http.Header{server.CallerAppIDHeader: {"recurring"}, apptoken.Header: {strings.Repeat("x", 42)}}, connect.CodeUnauthenticated},
		{"token a prefix of the real one", http.Header{server.CallerAppIDHeader: {"recurring"}, apptoken.Header: {testSecret[:len(testSecret)-1]}}, connect.CodeUnauthenticated},
		{"client's token first, wrong one last", http.Header{server.CallerAppIDHeader: {"recurring"}, apptoken.Header: {testSecret, "nope"}}, connect.CodeUnauthenticated},
		{"token, no caller", http.Header{apptoken.Header: {testSecret}}, connect.CodePermissionDenied},
		{"token, caller not allowed", http.Header{server.CallerAppIDHeader: {"web"}, apptoken.Header: {testSecret}}, connect.CodePermissionDenied},
		{"token, forged caller before daprd's", http.Header{server.CallerAppIDHeader: {"recurring", "web"}, apptoken.Header: {testSecret}}, connect.CodePermissionDenied},
		{"token, forged caller packed before daprd's", http.Header{server.CallerAppIDHeader: {"recurring, web"}, apptoken.Header: {testSecret}}, connect.CodePermissionDenied},
		{"token, allowed caller", http.Header{server.CallerAppIDHeader: {"recurring"}, apptoken.Header: {testSecret}}, 0},
	}
	base := serve(t, server.MeshHandlerOptions(zerolog.Nop(), testToken, "recurring"))
	for _, p := range rpctest.Protocols {
		unary := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](p.HTTPClient(), base+unaryProcedure, p.Options...)
		stream := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](p.HTTPClient(), base+streamProcedure, p.Options...)
		for _, c := range cases {
			t.Run(p.Name+"/"+c.name, func(t *testing.T) {
				newReq := func() *connect.Request[wrapperspb.StringValue] {
					req := connect.NewRequest(wrapperspb.String("hi"))
					for k, v := range c.header {
						req.Header()[k] = slices.Clone(v)
					}
					return req
				}
				_, err := unary.CallUnary(context.Background(), newReq())
				if got := connect.CodeOf(err); (err == nil) != (c.want == 0) || (err != nil && got != c.want) {
					t.Fatalf("unary: err %v; want code %v", err, c.want)
				}
				s, err := stream.CallServerStream(context.Background(), newReq())
				if err == nil {
					for s.Receive() {
					}
					err = s.Err()
					s.Close()
				}
				if got := connect.CodeOf(err); (err == nil) != (c.want == 0) || (err != nil && got != c.want) {
					t.Fatalf("stream: err %v; want code %v", err, c.want)
				}
			})
		}
	}
}

func TestMeshOnlyWithoutATokenRefusesEverything(t *testing.T) {
	base := serve(t, server.MeshHandlerOptions(zerolog.Nop(), apptoken.Token{}, "recurring"))
	unary := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](http.DefaultClient, base+unaryProcedure)
	req := connect.NewRequest(wrapperspb.String("hi"))
	req.Header().Set(server.CallerAppIDHeader, "recurring")
	req.Header().Set(apptoken.Header, "")
	if _, err := unary.CallUnary(context.Background(), req); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("err %v; want Unauthenticated", err)
	}
}

// TestReflectionListsOnlyPublicServices: a client listing the port's services (grpcurl
// list) does not learn of the mesh-only ones.
func TestReflectionListsOnlyPublicServices(t *testing.T) {
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	mux := server.Mux(
		server.Service{Name: "taskmesh.test.v1.PublicService", Path: "/taskmesh.test.v1.PublicService/", Handler: noop},
		server.Service{Name: "taskmesh.test.v1.InternalService", Path: "/taskmesh.test.v1.InternalService/", Handler: noop, MeshOnly: true},
	)
	srv := httptest.NewUnstartedServer(mux)
	srv.EnableHTTP2 = true
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	defer srv.Close()
	conn, err := grpc.NewClient(strings.TrimPrefix(srv.URL, "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got := ListServices(t, conn)
	if !slices.Contains(got, "taskmesh.test.v1.PublicService") || slices.Contains(got, "taskmesh.test.v1.InternalService") {
		t.Fatalf("reflection lists %v; want the public service and not the internal one", got)
	}
}

// ListServices asks a server's reflection service for its services.
func ListServices(t *testing.T, conn *grpc.ClientConn) []string {
	t.Helper()
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stream.CloseSend()
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	return names
}
