package startup

import (
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
)

// SharedRevocations is the sessions' revocation list every verifying service reads: the
// Dapr state store meshnames.SessionStore. Without a sidecar the list is this process's
// own: a sign-out is seen only by the service that took it.
func (s *Service) SharedRevocations() authn.RevocationStore {
	if s.Sidecar == nil {
		s.Log.Warn().Msg("no Dapr sidecar: only sign-outs made in this process end sessions here")
		return authn.NewMemoryRevocations()
	}
	return authn.StateRevocations{Store: s.Sidecar.StateStore(meshnames.SessionStore)}
}
