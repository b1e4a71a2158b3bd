package gateway

import (
	"bufio"
	"net"
	"net/http"
)

// The security headers of the gateway's answers (OWASP Secure Headers and HTTP Headers
// cheat sheets). Strict-Transport-Security is left to the TLS-terminating ingress: the
// gateway itself speaks plain HTTP.
const (
	// pageCSP is the policy of the app's pages and assets. The Vite build emits only
	// external module scripts, modulepreload links and one stylesheet (no inline script or
	// style), and React's style props go through the CSSOM, which style-src does not
	// govern: so neither 'unsafe-inline' nor 'unsafe-eval' is needed. connect-src 'self'
	// covers the RPCs and, in CSP Level 3, the ws:/wss: WebSocket of the same host and
	// port. The favicon is a data: URI.
	pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
		"form-action 'self'; frame-ancestors 'none'"
	// apiCSP is the policy of everything else (RPC answers, the WebSocket handshake,
	// errors): such an answer, if a browser ever renders it, may load and run nothing.
	apiCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
	// permissionsPolicy denies the powerful features the app never uses, to the page and
	// to anything it might embed. Only names Chromium knows: an unknown one is logged as
	// an error on every page load.
	permissionsPolicy = "accelerometer=(), autoplay=(), camera=(), display-capture=(), " +
		"geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), " +
		"screen-wake-lock=(), serial=(), usb=(), xr-spatial-tracking=()"
)

// securityHeaders sets, on every answer, the headers that keep browsers from sniffing,
// framing, leaking the URL to other sites and granting powerful features, and the API's
// Content-Security-Policy unless pageHeaders chose the app's. They are set as the answer's
// header is written, replacing any an upstream sent (realtime's http.Error adds its own
// X-Content-Type-Options, and the /ws proxy adds rather than replaces), so each appears
// once.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&secureWriter{ResponseWriter: w}, r)
	})
}

// pageHeaders gives the app's pages and assets the app's Content-Security-Policy. Other
// answers of the frontend handler (a POST it refuses) keep the API's.
func pageHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			w.Header().Set("Content-Security-Policy", pageCSP)
		}
		next.ServeHTTP(w, r)
	})
}

// secureWriter sets the security headers once, just before the header is written.
type secureWriter struct {
	http.ResponseWriter
	done bool
}

func (s *secureWriter) set() {
	if s.done {
		return
	}
	s.done = true
	h := s.ResponseWriter.Header()
	if h.Get("Content-Security-Policy") != pageCSP {
		h.Set("Content-Security-Policy", apiCSP)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	// Browsers older than frame-ancestors (CSP 2) read this one.
	h.Set("X-Frame-Options", "DENY")
	// Task ids in the path are nobody else's business: no Referer leaves the site.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Permissions-Policy", permissionsPolicy)
	// A page of another site that opens the app cannot script it through the opener.
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	// Other sites cannot load the app's answers as scripts, images and the like.
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

func (s *secureWriter) WriteHeader(code int) {
	// 1xx answers are interim (103 Early Hints); the final one gets the headers.
	if code >= 200 || code == http.StatusSwitchingProtocols {
		s.set()
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *secureWriter) Write(b []byte) (int, error) {
	s.set()
	return s.ResponseWriter.Write(b)
}

// Flush passes on flushes (streaming RPCs need them).
func (s *secureWriter) Flush() {
	s.set()
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack sets the headers first: the /ws proxy writes the 101 answer itself, with the
// header as it stands, on the hijacked connection.
func (s *secureWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	s.set()
	return http.NewResponseController(s.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach Hijack (WebSocket upgrades) and the rest.
func (s *secureWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
