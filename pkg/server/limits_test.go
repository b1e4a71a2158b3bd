package server_test

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
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/pkg/server"
)

// serveLimited runs h behind ServeWithLimits until the test ends.
func serveLimited(t *testing.T, h http.Handler, lim server.Limits) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.ServeWithLimits(ctx, lis, h, zerolog.Nop(), lim) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + lis.Addr().String()
}

// echoMux serves the unary echo behind opts, and counts the calls that reached it.
func echoMux(opts connect.HandlerOption, calls *int) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle(unaryProcedure, connect.NewUnaryHandler(unaryProcedure,
		func(_ context.Context, req *connect.Request[wrapperspb.StringValue]) (*connect.Response[wrapperspb.StringValue], error) {
			*calls++
			return connect.NewResponse(wrapperspb.String(req.Msg.GetValue())), nil
		}, opts))
	return mux
}

var publicOpts = server.HandlerOptions(zerolog.Nop(), nil, func(string) bool { return true })

// TestMessagesOverTheLimitAreRefused: the public chain takes a message of MaxRequestBytes
// less a little, and answers ResourceExhausted to one over it, whether it comes plain or
// gzipped (then it is small on the wire and over the limit once inflated), over Connect
// and gRPC; the handler never sees it.
func TestMessagesOverTheLimitAreRefused(t *testing.T) {
	calls := 0
	base := serveLimited(t, echoMux(publicOpts, &calls), server.DefaultLimits)
	for _, p := range rpctest.Protocols {
		for _, gz := range []bool{false, true} {
			name := p.Name + "/plain"
			opts := p.Options
			if gz {
				name = p.Name + "/gzip"
				opts = append(append([]connect.ClientOption{}, opts...), connect.WithSendGzip())
			}
			t.Run(name, func(t *testing.T) {
				client := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](p.HTTPClient(), base+unaryProcedure, opts...)
				calls = 0
				fits := strings.Repeat("a", server.MaxRequestBytes-16)
				resp, err := client.CallUnary(context.Background(), connect.NewRequest(wrapperspb.String(fits)))
				if err != nil || resp.Msg.GetValue() != fits {
					t.Fatalf("a message just under the limit: %v; want it served", err)
				}
				_, err = client.CallUnary(context.Background(), connect.NewRequest(wrapperspb.String(fits+strings.Repeat("a", 32))))
				rpctest.WantCode(t, err, connect.CodeResourceExhausted)
				if calls != 1 {
					t.Fatalf("the handler ran %d times; want once (the oversized message refused before it)", calls)
				}
			})
		}
	}
}

// TestAGzipBombIsRefusedWithoutInflatingIt: 64 MiB of zeros gzipped to 64 KB, posted as
// a Connect request, answers ResourceExhausted; and the limited reader stops producing
// bytes at the limit instead of inflating the rest.
func TestAGzipBombIsRefusedWithoutInflatingIt(t *testing.T) {
	bomb := gzipped(t, 64<<20)
	t.Logf("bomb: %d bytes gzipped, %d inflated", len(bomb), 64<<20)

	calls := 0
	base := serveLimited(t, echoMux(publicOpts, &calls), server.DefaultLimits)
	// Mux's health and reflection handlers take public requests too.
	mesh := serveLimited(t, server.Mux(), server.DefaultLimits)
	for _, url := range []string{base + unaryProcedure, mesh + "/grpc.health.v1.Health/Check"} {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(bomb))
		req.Header.Set("Content-Type", "application/proto")
		req.Header.Set("Content-Encoding", "gzip")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), `"resource_exhausted"`) || calls != 0 {
			t.Fatalf("%s: status %d, body %s, handler calls %d; want resource_exhausted and no call", url, resp.StatusCode, body, calls)
		}
	}

	d := server.LimitedGzip(1 << 20)()
	if err := d.Reset(bytes.NewReader(bomb)); err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, d)
	if connect.CodeOf(err) != connect.CodeResourceExhausted || n > 1<<20+64<<10 {
		t.Fatalf("the limited reader produced %d bytes and %v; want it to stop at 1 MiB with ResourceExhausted", n, err)
	}
}

// gzipped returns a gzipped StringValue-shaped protobuf of n zero bytes (field 1,
// length-delimited).
func gzipped(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	prefix := []byte{0x0a}
	for v := uint64(n); ; v >>= 7 { // varint length
		if v < 0x80 {
			prefix = append(prefix, byte(v))
			break
		}
		prefix = append(prefix, byte(v)|0x80)
	}
	_, _ = zw.Write(prefix)
	zeros := make([]byte, 1<<20)
	for i := 0; i < n>>20; i++ {
		_, _ = zw.Write(zeros)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestABodyDeclaredTooLargeIsRefusedUnread: a Content-Length over the server's body
// limit answers at once: ResourceExhausted to an RPC (in its protocol), 413 to anything
// else, and the handler never runs.
func TestABodyDeclaredTooLargeIsRefusedUnread(t *testing.T) {
	calls := 0
	mux := echoMux(publicOpts, &calls)
	mux.HandleFunc("/upload", func(http.ResponseWriter, *http.Request) { calls++ })
	lim := server.DefaultLimits
	lim.MaxBodyBytes = 1000
	base := serveLimited(t, mux, lim)

	client := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](http.DefaultClient, base+unaryProcedure)
	_, err := client.CallUnary(context.Background(), connect.NewRequest(wrapperspb.String(strings.Repeat("a", 2000))))
	rpctest.WantCode(t, err, connect.CodeResourceExhausted)

	resp, err := http.Post(base+"/upload", "text/plain", bytes.NewReader(make([]byte, 2000)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || calls != 0 {
		t.Fatalf("status %d, handler calls %d; want 413 and none", resp.StatusCode, calls)
	}
}

// TestABodySentInPiecesIsCutAtTheLimit: a chunked body (no Content-Length) that grows
// past the limit fails the handler's read: ResourceExhausted for an RPC.
func TestABodySentInPiecesIsCutAtTheLimit(t *testing.T) {
	calls := 0
	lim := server.DefaultLimits
	lim.MaxBodyBytes = 1000
	base := serveLimited(t, echoMux(connect.WithHandlerOptions(), &calls), lim)
	msg, _ := proto.Marshal(wrapperspb.String(strings.Repeat("a", 5000)))
	req, _ := http.NewRequest(http.MethodPost, base+unaryProcedure, io.MultiReader(bytes.NewReader(msg))) // unknown length: chunked
	req.Header.Set("Content-Type", "application/proto")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `"resource_exhausted"`) || calls != 0 {
		t.Fatalf("status %d, body %s, handler calls %d; want resource_exhausted and no call", resp.StatusCode, body, calls)
	}
}

// TestAStalledBodyIsCutAtTheTimeout: a client that declares 100 bytes, sends 4 and stalls
// has its HTTP/1.1 connection closed once the body read timeout runs out, and its HTTP/2
// stream reset, while the same server keeps serving.
func TestAStalledBodyIsCutAtTheTimeout(t *testing.T) {
	calls := 0
	lim := server.DefaultLimits
	lim.BodyReadTimeout = 300 * time.Millisecond
	base := serveLimited(t, echoMux(publicOpts, &calls), lim)
	addr := strings.TrimPrefix(base, "http://")

	t.Run("http1", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, err = io.WriteString(conn, "POST "+unaryProcedure+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/proto\r\nContent-Length: 100\r\n\r\nabcd")
		if err != nil {
			t.Fatal(err)
		}
		// The safety net only: the server closes long before.
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, err = io.Copy(io.Discard, bufio.NewReader(conn))
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the connection was still open 20 s after the client stalled")
		}
	})

	t.Run("h2c", func(t *testing.T) {
		protocols := new(http.Protocols)
		protocols.SetUnencryptedHTTP2(true)
		client := &http.Client{Transport: &http.Transport{Protocols: protocols}, Timeout: 20 * time.Second}
		pr, pw := io.Pipe()
		defer pw.Close()
		go func() { _, _ = pw.Write([]byte("abcd")) }() // then nothing
		req, _ := http.NewRequest(http.MethodPost, base+unaryProcedure, pr)
		req.ContentLength = 100
		req.Header.Set("Content-Type", "application/proto")
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Fatalf("a stalled body was served: %s", body)
			}
		} else if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
			t.Fatal("the stream was still open 20 s after the client stalled")
		}
	})

	if calls != 0 {
		t.Fatalf("the handler ran %d times for stalled bodies", calls)
	}
	client := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](http.DefaultClient, base+unaryProcedure)
	if _, err := client.CallUnary(context.Background(), connect.NewRequest(wrapperspb.String("still here"))); err != nil {
		t.Fatalf("the server after the stalled clients: %v", err)
	}
}

// TestTheBodyTimeoutDoesNotBoundTheHandler: once the body is read, the handler may take
// longer than the body read timeout, over HTTP/1.1 and HTTP/2.
func TestTheBodyTimeoutDoesNotBoundTheHandler(t *testing.T) {
	const procedure = "/taskmesh.test.v1.SlowService/Echo"
	mux := http.NewServeMux()
	mux.Handle(procedure, connect.NewUnaryHandler(procedure,
		func(ctx context.Context, req *connect.Request[wrapperspb.StringValue]) (*connect.Response[wrapperspb.StringValue], error) {
			select {
			case <-time.After(600 * time.Millisecond):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return connect.NewResponse(req.Msg), nil
		}, publicOpts))
	lim := server.DefaultLimits
	lim.BodyReadTimeout = 200 * time.Millisecond
	base := serveLimited(t, mux, lim)
	for _, p := range rpctest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			client := connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](p.HTTPClient(), base+procedure, p.Options...)
			for i := range 2 { // twice: the deadline must not linger on a kept-alive connection
				if _, err := client.CallUnary(context.Background(), connect.NewRequest(wrapperspb.String("slow"))); err != nil {
					t.Fatalf("call %d: %v; want it served", i, err)
				}
			}
		})
	}
}
