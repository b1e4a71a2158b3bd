package socket

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
)

// TestAClientMessageClosesTheSocket: clients send only control frames, so a data message,
// small or of 1 MiB, closes the socket with a policy violation (or message too big)
// before its payload is read, and the server keeps serving other sockets.
func TestAClientMessageClosesTheSocket(t *testing.T) {
	e := newEnv(t, fixedSeqs{}, HubConfig{}, HandlerConfig{})
	for _, size := range []int{10, readLimit + 1, 1 << 20} {
		c := e.dial(uuid.New())
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = c.Write(ctx, websocket.MessageText, []byte(strings.Repeat("a", size))) // may fail once the server closes
		cancel()
		st := readClose(t, c, 10*time.Second)
		if st != websocket.StatusPolicyViolation && st != websocket.StatusMessageTooBig {
			t.Fatalf("a %d-byte message: close status %v; want policy violation or message too big", size, st)
		}
	}
	e.dial(uuid.New()) // still serving
}
