// Package gateway is the browser's one door into the mesh. It serves the built frontend,
// forwards every public RPC (Connect, gRPC-Web or gRPC, transcoded by vanguard to gRPC)
// through the web app's own Dapr sidecar to the app that owns the service, and proxies the
// WebSocket at /ws to realtime (Dapr service invocation does not carry WebSocket
// upgrades). Only the services in Routes are reachable: TaskInternalService never is.
package gateway

import (
	"compress/gzip"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"connectrpc.com/vanguard"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1/auditv1connect"
	"github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1/authv1connect"
	"github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1/notificationv1connect"
	"github.com/taskmesh/taskmesh/gen/taskmesh/task/v1/taskv1connect"
	"github.com/taskmesh/taskmesh/pkg/clientaddr"
	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
	"github.com/taskmesh/taskmesh/pkg/dapr/invoke"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/protocodec"
	"github.com/taskmesh/taskmesh/pkg/rpclog"
	"github.com/taskmesh/taskmesh/pkg/server"
)

// Limits of the gateway, beyond the server's own (see package server and the README's
// "Limits"): a browser's request is a public request, so its body and its message, as
// sent and once decompressed, are bounded by server.MaxRequestBytes, and its body must
// arrive within server.BodyReadTimeout. The WebSocket proxy copies bytes through a fixed
// buffer once upgraded; realtime bounds the frames (1 KiB) and pings idle sockets.
const (
	// MaxBodyBytes bounds a request body: one public message and its envelope.
	MaxBodyBytes = server.MaxRequestBytes + 16<<10
	// MaxBufferBytes bounds a message vanguard holds while transcoding. Requests never
	// come near it (see MaxBodyBytes); it is sized for the largest response, a SyncTasks
	// page of 1000 tasks at their largest (about 45 MB), instead of vanguard's 4 GiB.
	MaxBufferBytes = 64 << 20
)

// Routes maps each public service to the app that serves it.
var Routes = map[string]string{
	authv1connect.AuthServiceName:                 meshnames.API,
	taskv1connect.TaskServiceName:                 meshnames.API,
	taskv1connect.TagServiceName:                  meshnames.API,
	auditv1connect.AuditServiceName:               meshnames.Audit,
	notificationv1connect.NotificationServiceName: meshnames.Notification,
}

// Config is what the gateway forwards to.
type Config struct {
	// SidecarAddr is the web app's Dapr sidecar gRPC address (host:port).
	SidecarAddr string
	// RealtimeURL is the realtime service's base URL (http://host:port).
	RealtimeURL string
	// FrontendDir holds the built frontend; when it has no index.html a placeholder page
	// is served.
	FrontendDir string
	// Publisher moves events Dapr delivers to the gateway, which handles no topic, to
	// their dead-letter topic (required).
	Publisher publish.Publisher
	// AppToken is the app API token web's sidecar sends with Dapr's callbacks.
	AppToken apptoken.Token
	// TrustedProxies are the proxies (an ingress, a load balancer) whose X-Forwarded-For
	// the gateway believes; from anyone else it takes the connection's address.
	TrustedProxies []netip.Prefix
	// BodyReadTimeout is how long a client has to send a request body; zero means
	// server.BodyReadTimeout (tests shorten it).
	BodyReadTimeout time.Duration
	Log             zerolog.Logger
}

//go:embed placeholder.html
var placeholder embed.FS

// New returns the gateway's handler.
func New(cfg Config) (http.Handler, error) {
	rt, err := url.Parse(cfg.RealtimeURL)
	if err != nil || rt.Host == "" {
		return nil, fmt.Errorf("realtime URL %q: want http://host:port", cfg.RealtimeURL)
	}
	if cfg.Publisher == nil {
		return nil, errors.New("gateway: no publisher for dead letters")
	}
	forward := sidecarProxy(cfg.SidecarAddr, cfg.Log)
	services := make([]*vanguard.Service, 0, len(Routes))
	names := make([]string, 0, len(Routes))
	for name, app := range Routes {
		// gRPC with binary protobuf: Dapr's gRPC proxy does not carry other codecs.
		services = append(services, vanguard.NewService(name, withTarget(app, forward),
			vanguard.WithTargetProtocols(vanguard.ProtocolGRPC), vanguard.WithTargetCodecs(vanguard.CodecProto),
			vanguard.WithMaxMessageBufferBytes(MaxBufferBytes)))
		names = append(names, name)
	}
	// vanguard inflates a gzip request in full, whatever WithMaxMessageBufferBytes says:
	// this reader stops at MaxRequestBytes. (A gzipped gRPC request passes through as it
	// came, to the service, which applies the same limit; responses come uncompressed,
	// see sidecarProxy, so this reader only ever sees requests.)
	transcoder, err := vanguard.NewTranscoder(services, protocodec.VanguardCodecs(), vanguard.WithCompression("gzip",
		func() connect.Compressor { return gzip.NewWriter(io.Discard) }, server.LimitedGzip(server.MaxRequestBytes)))
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}

	mux := http.NewServeMux()
	for _, name := range names {
		mux.Handle("/"+name+"/", connectUnary(transcoder))
	}
	// Reflection describes the public services (so grpcurl and buf curl work against the
	// gateway); health reports the gateway itself.
	reflector := grpcreflect.NewStaticReflector(names...)
	limit := server.MessageLimit(server.MaxRequestBytes)
	mux.Handle(grpcreflect.NewHandlerV1(reflector, limit))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector, limit))
	mux.Handle(grpchealth.NewHandler(grpchealth.NewStaticChecker(), limit))
	mux.Handle("/ws", webSocketProxy(rt, cfg.Log))
	// Dapr's app health checks. The gateway has no topics or bindings; an event Dapr
	// delivers anyway is poison and goes to its dead-letter topic.
	appcallback.New(cfg.Log, cfg.Publisher, nil).Mount(mux, cfg.AppToken)
	mux.Handle("/", pageHeaders(frontend(cfg.FrontendDir)))
	if cfg.BodyReadTimeout <= 0 {
		cfg.BodyReadTimeout = server.BodyReadTimeout
	}
	// Security headers outside the body limits, so that a refusal carries them too.
	return accessLog(requestID(securityHeaders(clientAddress(cfg.TrustedProxies,
		server.LimitBodies(mux, MaxBodyBytes, cfg.BodyReadTimeout)))), cfg.Log), nil
}

type clientAddrKey struct{}

// clientAddress works out the client's address once, for the services' per-address
// limits (see package clientaddr), and drops any copy of clientaddr.Header the client
// sent.
func clientAddress(trusted []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del(clientaddr.Header)
		addr := clientaddr.FromForwarded(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), trusted)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientAddrKey{}, addr)))
	})
}

// withTarget names the owning app for Dapr, drops routing headers a client might send,
// and passes on the client's address (the request has been through the transcoder,
// which keeps the context but not necessarily every header).
func withTarget(app string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del(server.CallerAppIDHeader)
		r.Header.Del(apptoken.Header)
		r.Header.Set(invoke.AppIDHeader, app)
		r.Header.Del(clientaddr.Header)
		if addr, ok := r.Context().Value(clientAddrKey{}).(string); ok {
			r.Header.Set(clientaddr.Header, addr)
		}
		next.ServeHTTP(w, r)
	})
}

// sidecarProxy forwards gRPC requests to the sidecar over cleartext HTTP/2.
func sidecarProxy(addr string, log zerolog.Logger) http.Handler {
	target := &url.URL{Scheme: "http", Host: addr}
	return &httputil.ReverseProxy{
		// No X-Forwarded-For: the client's address travels in clientaddr.Header, and
		// ReverseProxy drops the incoming X-Forwarded-* headers.
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// Uncompressed responses: the hop is local, and vanguard inflates what it
			// transcodes with the reader that stops at a request's limit.
			pr.Out.Header.Del("Grpc-Accept-Encoding")
		},
		Transport:     invoke.Transport(),
		FlushInterval: -1, // stream responses as they come
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// A gRPC status the transcoder turns into the client's protocol.
			w.Header().Set("Content-Type", "application/grpc")
			if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
				// The client's body ran over the gateway's limit while it was forwarded.
				w.Header().Set("Grpc-Status", "8") // RESOURCE_EXHAUSTED
				w.Header().Set("Grpc-Message", fmt.Sprintf("the request is larger than %d bytes", tooLarge.Limit))
				w.WriteHeader(http.StatusOK)
				return
			}
			log.Error().Err(err).Str("path", r.URL.Path).Msg("forwarding to the sidecar failed")
			w.Header().Set("Grpc-Status", "14") // UNAVAILABLE
			w.Header().Set("Grpc-Message", "service unavailable")
			w.WriteHeader(http.StatusOK)
		},
	}
}

// webSocketProxy forwards /ws (with its Upgrade) to realtime, keeping the browser's Host
// so that realtime's origin check compares the page's origin with the gateway's host.
func webSocketProxy(target *url.URL, log zerolog.Logger) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			log.Error().Err(err).Msg("proxying the WebSocket to realtime failed")
			http.Error(w, "live updates are unavailable", http.StatusBadGateway)
		},
	}
}

// frontend serves the built single-page app: files as they are, and index.html for any
// other path (client-side routes).
func frontend(dir string) http.Handler {
	var root fs.FS
	if _, err := os.Stat(path.Join(dir, "index.html")); dir != "" && err == nil {
		root = os.DirFS(dir)
	} else {
		root = placeholder
	}
	files := http.FileServerFS(root)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only pages are served here; any other request (an RPC to a service that is not
		// public, say) is not found, which RPC clients read as Unimplemented.
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.NotFound(w, r)
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name == "" || name == "." {
			serveIndex(w, r, root)
			return
		}
		if st, err := fs.Stat(root, name); err == nil && !st.IsDir() {
			if strings.HasPrefix(name, "assets/") { // content-hashed by the build
				w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			}
			files.ServeHTTP(w, r)
			return
		}
		serveIndex(w, r, root)
	})
}

func serveIndex(w http.ResponseWriter, r *http.Request, root fs.FS) {
	name := "index.html"
	if _, err := fs.Stat(root, name); err != nil {
		name = "placeholder.html"
	}
	b, err := fs.ReadFile(root, name)
	if err != nil {
		http.Error(w, "frontend not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

// requestID makes sure every request carries an X-Request-Id that the services log.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(rpclog.RequestIDHeader)
		if id == "" || len(id) > 128 {
			id = uuid.NewString()
			r.Header.Set(rpclog.RequestIDHeader, id)
		}
		w.Header().Set(rpclog.RequestIDHeader, id)
		next.ServeHTTP(w, r)
	})
}

// accessLog logs each request once it is done (not the query string: clients may put
// anything there).
func accessLog(next http.Handler, log zerolog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		ev := log.Info()
		if strings.HasPrefix(r.URL.Path, "/dapr.proto.runtime.v1.") || strings.HasPrefix(r.URL.Path, "/grpc.health.v1.") {
			ev = log.Debug() // probes, every second
		}
		ev.Str("method", r.Method).Str("path", r.URL.Path).Int("status", rec.status).
			Str("request_id", w.Header().Get(rpclog.RequestIDHeader)).
			Dur("duration", time.Since(start)).Msg("http")
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Flush passes on flushes (streaming RPCs and reflection need them).
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach Hijack (WebSocket upgrades) and the rest.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
