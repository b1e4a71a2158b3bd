// Package socket serves Taskmesh's live updates over WebSockets: a Hub that fans each
// TaskUpdateEvent out to the open sockets of its user, and the /ws Handler that
// authenticates a socket, tells a resuming client whether it missed changes, and then
// streams the user's updates (see proto/taskmesh/realtime/v1/realtime.proto).
package socket

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/encoding/protojson"

	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	realtimev1 "github.com/taskmesh/taskmesh/gen/taskmesh/realtime/v1"
	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
)

// Close codes of the realtime protocol, beside websocket.StatusGoingAway (1001).
const (
	// StatusTokenExpired closes a socket whose access token expired: reconnect with a
	// fresh one.
	StatusTokenExpired websocket.StatusCode = 4001
	// StatusSessionEnded closes a socket whose session was signed out (or revoked):
	// sign in again.
	StatusSessionEnded websocket.StatusCode = 4003
	// StatusTooSlow closes a socket that read too slowly to keep up: reconnect and resync.
	StatusTooSlow websocket.StatusCode = 4008
)

// Defaults of HubConfig.
const (
	DefaultQueueSize       = 64
	DefaultMaxConnsPerUser = 16
)

// HubConfig bounds what one socket and one user may hold.
type HubConfig struct {
	// QueueSize is how many frames may wait for one socket; a socket that falls further
	// behind is closed with StatusTooSlow (default DefaultQueueSize).
	QueueSize int
	// MaxConnsPerUser is how many sockets one user may have open on this replica
	// (default DefaultMaxConnsPerUser).
	MaxConnsPerUser int
}

var (
	errTooManyConns = errors.New("too many open sockets for this user")
	errShuttingDown = errors.New("shutting down")
)

// Hub routes updates to the sockets of their user. Its methods are safe for concurrent
// use. Publish never waits for a socket.
type Hub struct {
	log zerolog.Logger
	cfg HubConfig

	mu      sync.Mutex
	users   map[uuid.UUID]map[*client]struct{}
	closing bool
}

// NewHub returns an empty Hub.
func NewHub(log zerolog.Logger, cfg HubConfig) *Hub {
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.MaxConnsPerUser <= 0 {
		cfg.MaxConnsPerUser = DefaultMaxConnsPerUser
	}
	return &Hub{log: log, cfg: cfg, users: map[uuid.UUID]map[*client]struct{}{}}
}

// frame is one queued update: its protojson ServerFrame and the change sequence it
// carries (0 for reminders).
type frame struct {
	changeSeq int64
	data      []byte
}

// client is one socket's place in the hub: its bounded queue and the signal that it must
// close, with the close code to send.
type client struct {
	userID  uuid.UUID
	queue   chan frame // never closed: Publish may still hold the client after it left
	stopped chan struct{}

	once   sync.Once
	status websocket.StatusCode // set before stopped is closed
	reason string
	abort  bool // close without a close handshake: the peer is unresponsive
}

// stop asks the socket to close with status and reason; the first call wins.
func (c *client) stop(status websocket.StatusCode, reason string) {
	c.once.Do(func() {
		c.status, c.reason = status, reason
		close(c.stopped)
	})
}

// kill asks the socket to drop its connection without a close handshake.
func (c *client) kill(reason string) {
	c.once.Do(func() {
		c.abort, c.reason = true, reason
		close(c.stopped)
	})
}

// join adds a socket for userID; from now on its user's updates queue for it.
func (h *Hub) join(userID uuid.UUID) (*client, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return nil, errShuttingDown
	}
	set := h.users[userID]
	if len(set) >= h.cfg.MaxConnsPerUser {
		return nil, errTooManyConns
	}
	if set == nil {
		set = map[*client]struct{}{}
		h.users[userID] = set
	}
	c := &client{userID: userID, queue: make(chan frame, h.cfg.QueueSize), stopped: make(chan struct{})}
	set[c] = struct{}{}
	return c, nil
}

// leave removes c; calling it again does nothing.
func (h *Hub) leave(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(c)
}

func (h *Hub) removeLocked(c *client) {
	set := h.users[c.userID]
	delete(set, c)
	if len(set) == 0 {
		delete(h.users, c.userID)
	}
}

// conns returns how many sockets userID has in the hub.
func (h *Hub) conns(userID uuid.UUID) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.users[userID])
}

// shutdown refuses new sockets and asks every open one to close with status.
func (h *Hub) shutdown(status websocket.StatusCode, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closing = true
	for _, set := range h.users {
		for c := range set {
			c.stop(status, reason)
		}
	}
}

// Publish queues ev for every socket of ev's user on this replica, and for no other. A
// socket whose queue is full is cut off (closed with StatusTooSlow) rather than waited
// for. It returns an error only for an event that cannot be sent at all: a user id that
// is not a UUID.
func (h *Hub) Publish(ev *eventsv1.TaskUpdateEvent) error {
	userID, err := uuid.Parse(ev.GetUserId())
	if err != nil {
		return fmt.Errorf("task update %s: user id %q: %w", ev.GetEventId(), ev.GetUserId(), err)
	}
	h.mu.Lock()
	targets := make([]*client, 0, len(h.users[userID]))
	for c := range h.users[userID] {
		targets = append(targets, c)
	}
	h.mu.Unlock()
	if len(targets) == 0 {
		return nil
	}
	// Encoded once, shared by every socket of the user.
	data, err := protojson.Marshal(&realtimev1.ServerFrame{Frame: &realtimev1.ServerFrame_Update{Update: ev}})
	if err != nil {
		return fmt.Errorf("encode task update %s: %w", ev.GetEventId(), err)
	}
	f := frame{changeSeq: ev.GetChangeSeq(), data: data}
	for _, c := range targets {
		select {
		case c.queue <- f:
		default:
			h.log.Warn().Str("user_id", userID.String()).Int("queue_size", cap(c.queue)).
				Msg("socket too slow: cutting it off")
			c.stop(StatusTooSlow, "too slow")
			h.leave(c)
		}
	}
	return nil
}

// HandleTaskUpdate is the appcallback.TopicHandler of the task-updates topic: it decodes the
// TaskUpdateEvent and publishes it to its user's sockets. An event that does not decode,
// or names no valid user, is poison (a appcallback.Permanent error).
func (h *Hub) HandleTaskUpdate(_ context.Context, ev appcallback.Event) error {
	var upd eventsv1.TaskUpdateEvent
	if err := appcallback.Decode(ev, &upd); err != nil {
		return err
	}
	if err := h.Publish(&upd); err != nil {
		return appcallback.Permanent(err)
	}
	return nil
}

// Subscribe routes app's task-updates events, from the broadcast pub/sub component (a
// consumer group per replica, so every replica sees every update), to the hub.
func (h *Hub) Subscribe(app *appcallback.App) {
	app.HandleTopic(meshnames.BroadcastPubSub, meshnames.TaskUpdates, h.HandleTaskUpdate)
}
