package authn

// Everything in authn that speaks to Dapr is in this file.

import (
	"context"
	"strconv"
	"time"

	dapr "github.com/dapr/go-sdk/client"
	"github.com/google/uuid"
)

// DaprStateStore is the part of the Dapr client that DaprRevocations uses.
type DaprStateStore interface {
	GetState(ctx context.Context, storeName, key string, meta map[string]string) (*dapr.StateItem, error)
	SaveState(ctx context.Context, storeName, key string, data []byte, meta map[string]string, so ...dapr.StateOption) error
}

// DaprRevocations keeps the ended sessions in a Dapr state store, one key per session
// ("revoked-session:<sid>") that expires with the session's last access token
// (ttlInSeconds). Every verifying app reads the same keys, so the component must not
// prefix keys with the app id (keyPrefix: none).
type DaprRevocations struct {
	Client DaprStateStore
	Store  string
}

var _ RevocationStore = DaprRevocations{}

func revocationKey(sessionID uuid.UUID) string { return "revoked-session:" + sessionID.String() }

// Revoke implements RevocationStore.
func (d DaprRevocations) Revoke(ctx context.Context, sessionID uuid.UUID, ttl time.Duration) error {
	secs := int((ttl + time.Second - 1) / time.Second)
	return d.Client.SaveState(ctx, d.Store, revocationKey(sessionID), []byte("1"),
		map[string]string{"ttlInSeconds": strconv.Itoa(secs)})
}

// Revoked implements RevocationStore.
func (d DaprRevocations) Revoked(ctx context.Context, sessionID uuid.UUID) (bool, error) {
	item, err := d.Client.GetState(ctx, d.Store, revocationKey(sessionID), nil)
	if err != nil {
		return false, err
	}
	return item != nil && len(item.Value) > 0, nil
}
