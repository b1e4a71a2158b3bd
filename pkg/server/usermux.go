package server

import (
	"net/http"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"

	"github.com/taskmesh/taskmesh/pkg/authn"
)

// UserServiceMux returns the mux of a service that serves signed-in users only: svc,
// mounted by newHandler (the generated New<Service>Handler) behind HandlerOptions with no
// public procedure, so that every call needs an access token verifier accepts, plus gRPC
// health and reflection for name. The caller mounts the Dapr callbacks when there is a
// sidecar. S is the generated handler interface, given explicitly
// (UserServiceMux[auditv1connect.AuditServiceHandler](...)): Go does not infer it from a
// concrete server type.
func UserServiceMux[S any](log zerolog.Logger, verifier *authn.Verifier, name string,
	newHandler func(S, ...connect.HandlerOption) (string, http.Handler), svc S,
) *http.ServeMux {
	path, h := newHandler(svc, HandlerOptions(log, verifier, func(string) bool { return false }))
	return Mux(Service{Name: name, Path: path, Handler: h})
}
