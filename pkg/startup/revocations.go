package startup

import (
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
)

// revocations is the sessions' revocation list: in the Dapr state store
// meshnames.SessionStore, shared by every verifying service, behind a cache of
// authn.DefaultRevocationCache (the bound on how long a signed-out session's token still
// works). Without a sidecar the list is this process's own: a sign-out is seen only by
// the service that took it.
func (s *Service) revocations() *authn.Revocations {
	if s.Sidecar == nil {
		s.Log.Warn().Msg("no Dapr sidecar: only sign-outs made in this process end sessions here")
		return authn.NewRevocations(authn.NewMemoryRevocations(), 0)
	}
	return authn.NewRevocations(authn.StateRevocations{Store: s.Sidecar.StateStore(meshnames.SessionStore)}, 0)
}
