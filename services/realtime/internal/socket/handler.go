package socket

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/encoding/protojson"

	realtimev1 "github.com/taskmesh/taskmesh/gen/taskmesh/realtime/v1"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/wsauth"
)

// Defaults of HandlerConfig.
const (
	DefaultWriteTimeout     = 10 * time.Second
	DefaultPingInterval     = 25 * time.Second
	DefaultPingTimeout      = 10 * time.Second
	DefaultChangeSeqTimeout = 3 * time.Second
	// DefaultSessionCheckInterval is how often an open socket's session is checked
	// against the revocation list: a signed-out session's sockets close within this plus
	// authn.DefaultRevocationCache.
	DefaultSessionCheckInterval = time.Second
	// sessionCheckTimeout bounds one check.
	sessionCheckTimeout = 3 * time.Second
)

// readLimit bounds a client's messages (issue 9.1; README "Limits"). Clients send only
// pings, pongs and close, which are control frames of at most 125 bytes; any data message
// closes the socket (see serve) unread, and this limit is the backstop should a data
// message ever be read.
const readLimit = 1 << 10

// HandlerConfig tunes the sockets. Zero values take the defaults.
type HandlerConfig struct {
	// WriteTimeout bounds the write of one frame; a socket that cannot take a frame in
	// time is dropped.
	WriteTimeout time.Duration
	// PingInterval is how often the server pings; PingTimeout is how long it waits for
	// the pong before it drops the socket.
	PingInterval time.Duration
	PingTimeout  time.Duration
	// ChangeSeqTimeout bounds the look-up of the user's latest change sequence.
	ChangeSeqTimeout time.Duration
	// SessionCheckInterval is how often an open socket's session is checked against the
	// revocation list; a signed-out session's sockets close with StatusSessionEnded.
	SessionCheckInterval time.Duration
	// OriginPatterns are the browser origins allowed besides the request's own host (see
	// websocket.AcceptOptions). Authentication is by bearer token, never by cookie, so the
	// origin check is defense in depth, not the boundary.
	OriginPatterns []string
}

// Handler serves GET /ws: it checks the access token, offered as a subprotocol (see
// wsauth), and its session before upgrading (400 for a token in the URL, 401 without a
// valid token or for a signed-out session, 503 when the revocation list cannot be read),
// then sends Ready, SyncRequired when the client is behind, and the user's updates, each
// a protojson ServerFrame in a text frame. It closes the socket with StatusTokenExpired
// when the token expires, StatusSessionEnded when its session is signed out,
// StatusTooSlow when the client falls behind, and websocket.StatusGoingAway on Shutdown.
type Handler struct {
	log      zerolog.Logger
	hub      *Hub
	verifier *authn.Verifier
	seqs     ChangeSeqs
	cfg      HandlerConfig

	mu      sync.Mutex
	closing bool
	active  sync.WaitGroup // ServeHTTP calls; Add only while !closing, under mu
}

// NewHandler returns a Handler registering its sockets in hub and checking tokens with
// verifier. seqs may be nil (no sidecar): every client is then told to sync, since
// whether it missed changes cannot be known.
func NewHandler(log zerolog.Logger, hub *Hub, verifier *authn.Verifier, seqs ChangeSeqs, cfg HandlerConfig) *Handler {
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = DefaultPingInterval
	}
	if cfg.PingTimeout <= 0 {
		cfg.PingTimeout = DefaultPingTimeout
	}
	if cfg.ChangeSeqTimeout <= 0 {
		cfg.ChangeSeqTimeout = DefaultChangeSeqTimeout
	}
	if cfg.SessionCheckInterval <= 0 {
		cfg.SessionCheckInterval = DefaultSessionCheckInterval
	}
	return &Handler{log: log, hub: hub, verifier: verifier, seqs: seqs, cfg: cfg}
}

func (h *Handler) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.active.Add(1)
	return true
}

// Shutdown refuses new sockets, closes every open one with websocket.StatusGoingAway, and
// waits for them to finish closing, or for ctx to end (then it returns ctx's error).
// Call it after the HTTP server stopped accepting: hijacked connections are not drained
// by http.Server.Shutdown.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	h.mu.Unlock()
	h.hub.shutdown(websocket.StatusGoingAway, "server going away")
	done := make(chan struct{})
	go func() { h.active.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ServeHTTP implements http.Handler. The token comes in the Sec-WebSocket-Protocol header
// (see wsauth); a handshake with a token in its URL is refused (400).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.enter() {
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer h.active.Done()

	if err := wsauth.Check(r); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	claims, err := h.authenticate(r)
	if errors.Is(err, authn.ErrRevocationsUnavailable) {
		h.log.Error().Err(err).Msg("socket refused: cannot check the session")
		http.Error(w, "cannot check the session right now; try again shortly", http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="taskmesh"`)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	since, err := parseSince(r.URL.Query().Get("since"))
	if err != nil {
		http.Error(w, "since must be a change sequence number (a non-negative integer)", http.StatusBadRequest)
		return
	}
	log := h.log.With().Str("user_id", claims.UserID.String()).Str("remote", r.RemoteAddr).Logger()

	// Joining before the upgrade: updates queue from here on, so none falls between the
	// change_seq look-up below and the first update sent.
	c, err := h.hub.join(claims.UserID)
	switch {
	case errors.Is(err, errTooManyConns):
		log.Warn().Msg("socket refused: too many open sockets for this user")
		http.Error(w, "too many open sockets; close some", http.StatusTooManyRequests)
		return
	case err != nil:
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer h.hub.leave(c)

	// Only the app's protocol is ever echoed: the answer must not carry the token.
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		OriginPatterns: h.cfg.OriginPatterns, Subprotocols: []string{wsauth.Protocol},
	})
	if err != nil {
		log.Debug().Err(err).Msg("websocket upgrade refused") // Accept answered the client
		return
	}
	defer ws.CloseNow() // after a Close this does nothing
	ws.SetReadLimit(readLimit)
	h.serve(ws, c, claims, since, log)
}

// authenticate takes the token from the bearer.<token> subprotocol (browsers cannot set
// headers on a WebSocket) or an Authorization: Bearer header, and checks it and its
// session (authn.Verifier.Authenticate). A token that verifies only thanks to the
// clock-skew leeway is refused too: the socket would close at once.
func (h *Handler) authenticate(r *http.Request) (authn.Claims, error) {
	token, ok := wsauth.Token(r)
	if !ok {
		return authn.Claims{}, authn.ErrInvalidToken
	}
	claims, err := h.verifier.Authenticate(r.Context(), token)
	if err != nil {
		return authn.Claims{}, err
	}
	if !claims.ExpiresAt.After(time.Now()) {
		return authn.Claims{}, authn.ErrInvalidToken
	}
	return claims, nil
}

func parseSince(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("bad since")
	}
	return n, nil
}

// serve runs one accepted socket until it closes.
func (h *Handler) serve(ws *websocket.Conn, c *client, claims authn.Claims, since int64, log zerolog.Logger) {
	start := time.Now()
	// The client sends nothing but control frames: reading answers its pings and ends at
	// its close, and ctx ends with the connection. A data message is refused with a
	// policy violation before its payload is read. (Not ws.CloseRead, which does the same
	// but whose Close then waits for its own goroutine: the socket would linger 15 s,
	// coder/websocket#429.)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		defer cancel()
		if _, _, err := ws.Reader(ctx); err == nil {
			_ = ws.Close(websocket.StatusPolicyViolation, "clients send no messages")
		}
	}()

	// The token's own expiry, not the verifier's leeway: the client should have
	// refreshed by then.
	expiry := time.AfterFunc(claims.ExpiresAt.Sub(time.Now()), func() {
		c.stop(StatusTokenExpired, "access token expired")
	})
	defer expiry.Stop()

	latest, known := h.latestChangeSeq(ctx, claims.UserID, log)
	if err := h.write(ctx, ws, &realtimev1.ServerFrame{Frame: &realtimev1.ServerFrame_Ready{
		Ready: &realtimev1.Ready{UserId: claims.UserID.String(), ChangeSeq: latest},
	}}); err != nil {
		log.Debug().Err(err).Msg("socket closed before Ready")
		return
	}
	// Unknown, behind, or ahead of the server (its state is not this server's: reload):
	// in each case the client must not rely on updates alone.
	if !known || since != latest {
		if err := h.write(ctx, ws, &realtimev1.ServerFrame{Frame: &realtimev1.ServerFrame_SyncRequired{
			SyncRequired: &realtimev1.SyncRequired{SinceChangeSeq: since, LatestChangeSeq: latest},
		}}); err != nil {
			log.Debug().Err(err).Msg("socket closed before SyncRequired")
			return
		}
	}
	log.Debug().Int64("since", since).Int64("latest", latest).Bool("latest_known", known).Msg("socket open")

	pingDone, checkDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(pingDone); h.keepalive(ctx, ws, c) }()
	go func() { defer close(checkDone); h.watchSession(ctx, c, claims.SessionID, log) }()
	defer func() { cancel(); <-pingDone; <-checkDone }()

	for {
		// A stop wins over queued frames: a client cut off as too slow gets its close
		// frame next, not 64 more updates first.
		select {
		case <-c.stopped:
			h.close(ws, c, start, log)
			return
		default:
		}
		select {
		case <-c.stopped:
		case <-ctx.Done():
			log.Info().Dur("duration", time.Now().Sub(start)).Msg("socket closed by the client")
			return
		case f := <-c.queue:
			// The client already applied everything up to since; reminders (0) always go.
			if f.changeSeq > 0 && f.changeSeq <= since {
				continue
			}
			if err := h.writeData(ctx, ws, f.data); err != nil {
				log.Info().Err(err).Dur("duration", time.Now().Sub(start)).Msg("socket dropped: write failed")
				return
			}
		}
	}
}

// latestChangeSeq looks the user's latest change sequence up; known is false when it
// could not be (no sidecar, api unreachable or slow).
func (h *Handler) latestChangeSeq(ctx context.Context, userID uuid.UUID, log zerolog.Logger) (latest int64, known bool) {
	if h.seqs == nil {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.ChangeSeqTimeout)
	defer cancel()
	latest, err := h.seqs.LatestChangeSeq(ctx, userID)
	if err != nil {
		log.Warn().Err(err).Msg("latest change sequence unavailable: telling the client to sync")
		return 0, false
	}
	return latest, true
}

// watchSession checks the socket's session every SessionCheckInterval and closes the
// socket with StatusSessionEnded once it has been signed out. A check that cannot read
// the revocation list keeps the socket (it was authenticated; a store outage should not
// drop every socket) and is retried at the next interval.
func (h *Handler) watchSession(ctx context.Context, c *client, sessionID uuid.UUID, log zerolog.Logger) {
	t := time.NewTicker(h.cfg.SessionCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.stopped:
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, sessionCheckTimeout)
		err := h.verifier.CheckSession(cctx, sessionID)
		cancel()
		switch {
		case errors.Is(err, authn.ErrSessionEnded):
			c.stop(StatusSessionEnded, "session signed out")
			return
		case err != nil && ctx.Err() == nil:
			log.Warn().Err(err).Msg("cannot check the socket's session; keeping it until the next check")
		}
	}
}

// keepalive pings every PingInterval; a ping not answered in PingTimeout drops the
// socket.
func (h *Handler) keepalive(ctx context.Context, ws *websocket.Conn, c *client) {
	t := time.NewTicker(h.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.stopped:
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, h.cfg.PingTimeout)
		err := ws.Ping(pctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				c.kill("ping not answered")
			}
			return
		}
	}
}

// close closes the socket as c was asked to.
func (h *Handler) close(ws *websocket.Conn, c *client, start time.Time, log zerolog.Logger) {
	ev := log.Info().Dur("duration", time.Now().Sub(start)).Str("reason", c.reason)
	if c.abort {
		ev.Msg("socket dropped")
		_ = ws.CloseNow()
		return
	}
	ev.Int("status", int(c.status)).Msg("socket closed by the server")
	if err := ws.Close(c.status, c.reason); err != nil {
		log.Debug().Err(err).Msg("close handshake did not complete")
	}
}

func (h *Handler) write(ctx context.Context, ws *websocket.Conn, f *realtimev1.ServerFrame) error {
	data, err := protojson.Marshal(f)
	if err != nil {
		return err
	}
	return h.writeData(ctx, ws, data)
}

// writeData writes one text frame; on timeout the library drops the connection.
func (h *Handler) writeData(ctx context.Context, ws *websocket.Conn, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.WriteTimeout)
	defer cancel()
	return ws.Write(ctx, websocket.MessageText, data)
}
