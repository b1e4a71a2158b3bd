package handler

import (
	"net/http"

	"github.com/rs/zerolog"

	"github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1/auditv1connect"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/server"
	"github.com/taskmesh/taskmesh/services/audit/internal/store"
)

// Deps are what the audit service's handlers need.
type Deps struct {
	Store    *store.Store
	Verifier *authn.Verifier
	Log      zerolog.Logger
}

// NewMux returns the audit service's Connect surface: AuditService behind the standard
// interceptors (every procedure needs an access token), plus health and reflection. The
// Dapr callbacks are mounted by the caller when there is a sidecar.
func NewMux(d Deps) *http.ServeMux {
	opts := server.HandlerOptions(d.Log, d.Verifier, func(string) bool { return false })
	path, h := auditv1connect.NewAuditServiceHandler(NewAuditServer(d.Store), opts)
	return server.Mux(server.Service{Name: auditv1connect.AuditServiceName, Path: path, Handler: h})
}
