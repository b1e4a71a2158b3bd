package authn

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/taskmesh/taskmesh/pkg/dapr/state"
)

// StateRevocations keeps the ended sessions in a Dapr state store, one key per session
// ("revoked-session:<sid>") that expires with the session's last access token. Every
// verifying app reads the same keys, so the component must not prefix keys with the app
// id (keyPrefix: none).
type StateRevocations struct {
	Store *state.Store
}

var _ RevocationStore = StateRevocations{}

func revocationKey(sessionID uuid.UUID) string { return "revoked-session:" + sessionID.String() }

// Revoke implements RevocationStore.
func (d StateRevocations) Revoke(ctx context.Context, sessionID uuid.UUID, ttl time.Duration) error {
	return d.Store.Save(ctx, revocationKey(sessionID), []byte("1"), ttl)
}

// Revoked implements RevocationStore.
func (d StateRevocations) Revoked(ctx context.Context, sessionID uuid.UUID) (bool, error) {
	item, err := d.Store.Get(ctx, revocationKey(sessionID))
	if err != nil {
		return false, err
	}
	return len(item.Value) > 0, nil
}
