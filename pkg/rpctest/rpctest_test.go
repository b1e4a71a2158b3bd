package rpctest_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

// fakeTB records a failure instead of failing the test; Fatal ends the goroutine as
// testing does. Use it through try.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	failures []string
	cleanups []func()
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.failures = append(f.failures, fmt.Sprintf(format, args...))
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeTB) Fatal(args ...any) { f.Fatalf("%s", fmt.Sprint(args...)) }

// try runs fn against a fakeTB in a goroutine, then its cleanups, and returns the failure
// message ("" if none).
func try(fn func(tb testing.TB)) string {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	return strings.Join(f.failures, "\n")
}

// seen is what the server saw of one request.
type seen struct {
	protoMajor int
	auth       string
}

func TestProtocolsReachTheServerWithTheBearerToken(t *testing.T) {
	var (
		mu   sync.Mutex
		last seen
	)
	health := http.NewServeMux()
	health.Handle(grpchealth.NewHandler(grpchealth.NewStaticChecker("svc")))
	url := rpctest.NewServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		last = seen{r.ProtoMajor, r.Header.Get("Authorization")}
		mu.Unlock()
		health.ServeHTTP(w, r)
	}))
	want := map[string]int{"connect": 1, "grpc": 2}
	if len(rpctest.Protocols) != len(want) {
		t.Fatalf("Protocols = %v; want connect and grpc", rpctest.Protocols)
	}
	for _, p := range rpctest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			opts := append([]connect.ClientOption{connect.WithInterceptors(rpctest.Bearer("tok"))}, p.Options...)
			res, err := grpchealth.NewClient(p.HTTPClient(), url, opts...).Check(context.Background(), &grpchealth.CheckRequest{Service: "svc"})
			if err != nil || res.Status != grpchealth.StatusServing {
				t.Fatalf("Check = %v, %v; want serving", res, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if last != (seen{want[p.Name], "Bearer tok"}) {
				t.Fatalf("server saw HTTP/%d with Authorization %q; want HTTP/%d with %q", last.protoMajor, last.auth, want[p.Name], "Bearer tok")
			}
		})
	}
}

func invalid(fields ...string) error {
	vs := &validate.Violations{}
	for _, f := range fields {
		vs.Violations = append(vs.Violations, &validate.Violation{
			Field: &validate.FieldPath{Elements: []*validate.FieldPathElement{{FieldName: proto.String(f)}}},
		})
	}
	err := connect.NewError(connect.CodeInvalidArgument, errors.New("invalid"))
	d, derr := connect.NewErrorDetail(vs)
	if derr != nil {
		panic(derr)
	}
	err.AddDetail(d)
	return err
}

func TestAssertionsFailWhenTheyShould(t *testing.T) {
	notFound := connect.NewError(connect.CodeNotFound, errors.New("gone"))
	for name, tc := range map[string]struct {
		check func(tb testing.TB)
		fail  string // part of the failure; "" for none
	}{
		"WantCode: right code":                {func(tb testing.TB) { rpctest.WantCode(tb, notFound, connect.CodeNotFound) }, ""},
		"WantCode: success":                   {func(tb testing.TB) { rpctest.WantCode(tb, nil, connect.CodeNotFound) }, "got success"},
		"WantCode: other code":                {func(tb testing.TB) { rpctest.WantCode(tb, notFound, connect.CodeInternal) }, "got not_found"},
		"WantInvalid: names the field":        {func(tb testing.TB) { rpctest.WantInvalid(tb, invalid("a", "title"), "title") }, ""},
		"WantInvalid: names other fields":     {func(tb testing.TB) { rpctest.WantInvalid(tb, invalid("a"), "title") }, `InvalidArgument names [a]; want "title"`},
		"WantInvalid: not InvalidArgument":    {func(tb testing.TB) { rpctest.WantInvalid(tb, notFound, "title") }, "want invalid_argument"},
		"ViolatedFields: not a Connect error": {func(tb testing.TB) { rpctest.ViolatedFields(tb, errors.New("plain")) }, "not a Connect error"},
		"ViolatedFields: no violations, no failure": {func(tb testing.TB) {
			if got := rpctest.ViolatedFields(tb, notFound); got != nil {
				panic(got)
			}
		}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			got := try(tc.check)
			if tc.fail == "" && got != "" || tc.fail != "" && !strings.Contains(got, tc.fail) {
				t.Fatalf("failure %q; want one containing %q", got, tc.fail)
			}
		})
	}
}

func TestMsg(t *testing.T) {
	m, err := rpctest.Msg(connect.NewResponse(&validate.Violations{}), nil)
	if m == nil || err != nil {
		t.Fatalf("Msg of a response = %v, %v", m, err)
	}
	m, err = rpctest.Msg[validate.Violations](nil, io.EOF)
	if m != nil || err != io.EOF {
		t.Fatalf("Msg of an error = %v, %v", m, err)
	}
}

func TestKeyFiles(t *testing.T) {
	privPath, pubPath, issuer := rpctest.KeyFiles(t)
	privPEM, err := os.ReadFile(privPath)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := os.ReadFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := authn.LoadPrivateKey(privPEM); err != nil {
		t.Fatalf("private key file: %v", err)
	}
	pub, err := authn.LoadPublicKey(pubPEM)
	if err != nil {
		t.Fatalf("public key file: %v", err)
	}
	user := uuid.New()
	token, _, err := issuer.Issue(user)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := authn.NewVerifier([]ed25519.PublicKey{pub}, authn.Config{Issuer: "taskmesh", Audience: "taskmesh"}).Verify(token)
	if err != nil {
		t.Fatalf("the issuer's token does not verify with the public key file: %v", err)
	}
	if claims.UserID != user {
		t.Fatalf("token for %s; want %s", claims.UserID, user)
	}
}

// serve is a run that serves on ADDR until its context ends, then returns ending.
func serve(ending error) rpctest.Run {
	return func(ctx context.Context, getenv func(string) string, stdout io.Writer, ready chan<- net.Addr) error {
		ln, err := net.Listen("tcp", getenv("ADDR"))
		if err != nil {
			return err
		}
		defer ln.Close()
		fmt.Fprintln(stdout, "serving")
		ready <- ln.Addr()
		<-ctx.Done()
		return ending
	}
}

func TestStartRun(t *testing.T) {
	env := map[string]string{"ADDR": "127.0.0.1:0"}
	t.Run("serves and stops", func(t *testing.T) {
		base, logs, stop := rpctest.StartRun(t, serve(nil), env)
		if !strings.HasPrefix(base, "http://127.0.0.1:") {
			t.Fatalf("base URL %q", base)
		}
		if logs.String() != "serving\n" {
			t.Fatalf("logs %q", logs)
		}
		if err := stop(); err != nil {
			t.Fatalf("stop = %v", err)
		}
		if err := stop(); err != nil {
			t.Fatalf("second stop = %v", err)
		}
	})
	t.Run("stop returns run's error", func(t *testing.T) {
		boom := errors.New("boom")
		_, _, stop := rpctest.StartRun(t, serve(boom), env)
		if err := stop(); !errors.Is(err, boom) {
			t.Fatalf("stop = %v; want boom", err)
		}
	})
	t.Run("fails with the logs when run ends before serving", func(t *testing.T) {
		got := try(func(tb testing.TB) {
			rpctest.StartRun(tb, func(_ context.Context, _ func(string) string, stdout io.Writer, _ chan<- net.Addr) error {
				fmt.Fprintln(stdout, "no settings")
				return errors.New("missing ADDR")
			}, nil)
			panic("StartRun returned")
		})
		if !strings.Contains(got, "run ended before serving: missing ADDR") || !strings.Contains(got, "no settings") {
			t.Fatalf("failure %q; want run's error and logs", got)
		}
	})
}
