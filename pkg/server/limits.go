package server

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
)

// Size and time limits of every request body that enters a service (issue 9.1). The README
// ("Limits") lists them with the gateway's and the WebSocket's.
//
// The largest valid public request is a CreateTask or UpdateTask with a 500-character
// title, a 10000-character description, 20 tag ids and 10 reminders: about 45 KB in
// binary protobuf if every character takes 4 bytes of UTF-8, about 130 KB in JSON if
// every character is escaped as a \uXXXX surrogate pair. MaxRequestBytes leaves room for
// eight of those. Mesh messages carry whole tasks too: an event holds a task before and
// after a change (twice the largest task, base64 in a CloudEvent if the pub/sub wraps it),
// under 400 KB; MaxMeshMessageBytes leaves ten times that, and equals grpc-go's default.
const (
	// MaxRequestBytes bounds a public request message, both as sent (compressed) and once
	// decompressed: more answers ResourceExhausted.
	MaxRequestBytes = 1 << 20
	// MaxMeshMessageBytes bounds a message from the mesh: mesh-only services' requests
	// and Dapr's app callbacks (events, binding ticks), compressed and decompressed.
	MaxMeshMessageBytes = 4 << 20
	// MaxBodyBytes bounds a request body on the wire, whatever the handler: the largest
	// message plus room for gRPC envelopes. It also bounds what a handler reads and throws
	// away after refusing an oversized message.
	MaxBodyBytes = MaxMeshMessageBytes + 64<<10
	// BodyReadTimeout is how long a client has to send a request's body, from the moment
	// its headers arrived: 10 KB, a large real request, takes well under a second even on
	// a poor mobile uplink. A client that stalls has its connection (HTTP/1.1) or stream
	// (HTTP/2) closed when it runs out.
	BodyReadTimeout = 10 * time.Second
	// ReadHeaderTimeout is how long a client has to send a request's headers.
	ReadHeaderTimeout = 10 * time.Second
	// IdleTimeout closes a keep-alive connection (HTTP/1.1 or HTTP/2) that carried no
	// request for this long.
	IdleTimeout = 2 * time.Minute
	// MaxHeaderBytes bounds a request's headers (HTTP/1.1 header block, HTTP/2 header
	// list).
	MaxHeaderBytes = 64 << 10
)

// Limits are the time and size limits of Serve; DefaultLimits are the ones services use
// (tests shrink them).
type Limits struct {
	MaxBodyBytes      int64
	BodyReadTimeout   time.Duration
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
}

// DefaultLimits are the limits of every service's server.
var DefaultLimits = Limits{
	MaxBodyBytes:      MaxBodyBytes,
	BodyReadTimeout:   BodyReadTimeout,
	ReadHeaderTimeout: ReadHeaderTimeout,
	IdleTimeout:       IdleTimeout,
}

// MessageLimit bounds the messages a Connect handler reads to maxBytes, both as sent and
// once decompressed: a bigger message answers ResourceExhausted before it is decoded
// (connect-go checks both; the gzip reader given here also stops decompressing at the
// limit, where connect-go would otherwise inflate the rest of a refused gzip bomb only to
// measure it).
func MessageLimit(maxBytes int) connect.HandlerOption {
	return connect.WithHandlerOptions(
		connect.WithReadMaxBytes(maxBytes),
		connect.WithCompression("gzip", LimitedGzip(int64(maxBytes)), newGzipWriter),
	)
}

func newGzipWriter() connect.Compressor { return gzip.NewWriter(io.Discard) }

// LimitedGzip returns a gzip decompressor factory (for connect-go's and vanguard's
// WithCompression) whose readers fail with ResourceExhausted once they have produced more
// than maxBytes.
func LimitedGzip(maxBytes int64) func() connect.Decompressor {
	return func() connect.Decompressor { return &limitedGzip{max: maxBytes} }
}

type limitedGzip struct {
	gz  gzip.Reader
	max int64
	n   int64
}

func (d *limitedGzip) Read(p []byte) (int, error) {
	n, err := d.gz.Read(p)
	d.n += int64(n)
	if d.n > d.max {
		return n, tooLarge(d.max)
	}
	return n, err
}

func (d *limitedGzip) Reset(r io.Reader) error {
	d.n = 0
	return d.gz.Reset(r)
}

func (d *limitedGzip) Close() error { return d.gz.Close() }

func tooLarge(maxBytes int64) *connect.Error {
	return connect.NewError(connect.CodeResourceExhausted, fmt.Errorf("the request is larger than %d bytes", maxBytes))
}

// LimitBodies bounds every request body that reaches next to maxBytes and gives the
// client timeout to send it.
//
// A body declared bigger (Content-Length) is refused at once, without reading it: an RPC
// gets ResourceExhausted in its own protocol, anything else 413. A body that turns out
// bigger fails the handler's read (connect-go answers ResourceExhausted) and, on HTTP/1.1,
// closes the connection. The timeout is a read deadline set when the request starts and
// cleared once the body is read to its end, so it bounds only the upload, never the
// handler's work; on HTTP/1.1 it closes the connection, on HTTP/2 it resets the stream.
// Requests without a body (a WebSocket upgrade) are not touched; a streaming RPC must
// finish sending within timeout too (the only one, reflection, is done in milliseconds).
func LimitBodies(next http.Handler, maxBytes int64, timeout time.Duration) http.Handler {
	errw := connect.NewErrorWriter()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > maxBytes {
			err := tooLarge(maxBytes)
			if errw.IsSupported(r) {
				_ = errw.Write(w, r, err)
			} else {
				http.Error(w, err.Message(), http.StatusRequestEntityTooLarge)
			}
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
		if timeout > 0 {
			rc := http.NewResponseController(w)
			if err := rc.SetReadDeadline(time.Now().Add(timeout)); err == nil {
				body := &deadlineBody{ReadCloser: r.Body, rc: rc}
				r.Body = body
				defer body.handlerDone()
				if r.ProtoMajor == 1 {
					cw := &closeAfterTimeout{ResponseWriter: w, body: body}
					defer cw.mark() // a handler that wrote nothing: the server answers for it
					w = cw
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// closeAfterTimeout ends an HTTP/1.1 connection whose body read timed out, once the
// handler has answered: net/http would otherwise keep it for the next request (it cannot
// see past the handler's wrapped body), and the stalled client would hold it until the
// idle timeout.
type closeAfterTimeout struct {
	http.ResponseWriter
	body  *deadlineBody
	wrote bool
}

func (c *closeAfterTimeout) mark() {
	if !c.wrote {
		c.wrote = true
		if c.body.timedOut.Load() {
			c.Header().Set("Connection", "close")
		}
	}
}

func (c *closeAfterTimeout) WriteHeader(code int) {
	c.mark()
	c.ResponseWriter.WriteHeader(code)
}

func (c *closeAfterTimeout) Write(p []byte) (int, error) {
	c.mark()
	return c.ResponseWriter.Write(p)
}

// Flush passes flushes on (connect-go's and grpc-go's handlers need a Flusher).
func (c *closeAfterTimeout) Flush() {
	c.mark()
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the rest.
func (c *closeAfterTimeout) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// deadlineBody clears the read deadline once the body has been read to its end, so that
// the rest of the request (the handler's work, HTTP/1.1's background read watching for a
// client that hangs up) runs without it. It is left in place when the body is not read
// to its end: the server then reads the rest under the same deadline.
type deadlineBody struct {
	io.ReadCloser
	rc *http.ResponseController

	timedOut atomic.Bool

	mu      sync.Mutex
	cleared bool
	done    bool // the handler has returned: the response controller must not be used
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		b.timedOut.Store(true)
	}
	if err == io.EOF {
		b.mu.Lock()
		if !b.cleared && !b.done {
			b.cleared = true
			_ = b.rc.SetReadDeadline(time.Time{})
		}
		b.mu.Unlock()
	}
	return n, err
}

// handlerDone marks the handler returned: grpc-go's ServeHTTP may still be reading the
// body from a goroutine of its own, and an HTTP/2 response controller panics once its
// handler has returned.
func (b *deadlineBody) handlerDone() {
	b.mu.Lock()
	b.done = true
	b.mu.Unlock()
}
