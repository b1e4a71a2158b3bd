// Package gateway is the browser's one door into the mesh. It serves the built frontend,
// forwards every public RPC (Connect, gRPC-Web or gRPC, transcoded by vanguard to gRPC)
// through the web app's own Dapr sidecar to the app that owns the service, and proxies the
// WebSocket at /ws to realtime (Dapr service invocation does not carry WebSocket
// upgrades). Only the services in Routes are reachable: TaskInternalService never is.
package gateway

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"connectrpc.com/vanguard"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1/auditv1connect"
	"github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1/authv1connect"
	"github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1/notificationv1connect"
	"github.com/taskmesh/taskmesh/gen/taskmesh/task/v1/taskv1connect"
	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
	"github.com/taskmesh/taskmesh/pkg/dapr/invoke"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/rpclog"
	"github.com/taskmesh/taskmesh/pkg/server"
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
	Log       zerolog.Logger
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
			vanguard.WithTargetProtocols(vanguard.ProtocolGRPC), vanguard.WithTargetCodecs(vanguard.CodecProto)))
		names = append(names, name)
	}
	transcoder, err := vanguard.NewTranscoder(services)
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
	mux.Handle(grpcreflect.NewHandlerV1(reflector))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector))
	mux.Handle(grpchealth.NewHandler(grpchealth.NewStaticChecker()))
	mux.Handle("/ws", webSocketProxy(rt, cfg.Log))
	// Dapr's app health checks. The gateway has no topics or bindings; an event Dapr
	// delivers anyway is poison and goes to its dead-letter topic.
	appcallback.New(cfg.Log, cfg.Publisher, nil).Mount(mux)
	mux.Handle("/", pageHeaders(frontend(cfg.FrontendDir)))
	return accessLog(requestID(securityHeaders(mux)), cfg.Log), nil
}

// withTarget names the owning app for Dapr and drops routing headers a client might send.
func withTarget(app string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del(server.CallerAppIDHeader)
		r.Header.Set(invoke.AppIDHeader, app)
		next.ServeHTTP(w, r)
	})
}

// sidecarProxy forwards gRPC requests to the sidecar over cleartext HTTP/2.
func sidecarProxy(addr string, log zerolog.Logger) http.Handler {
	target := &url.URL{Scheme: "http", Host: addr}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		Transport:     invoke.Transport(),
		FlushInterval: -1, // stream responses as they come
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			log.Error().Err(err).Str("path", r.URL.Path).Msg("forwarding to the sidecar failed")
			// A gRPC status the transcoder turns into the client's protocol.
			w.Header().Set("Content-Type", "application/grpc")
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
