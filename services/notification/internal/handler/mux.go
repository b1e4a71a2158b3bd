package handler

import (
	"net/http"

	"github.com/rs/zerolog"

	"github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1/notificationv1connect"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/server"
	"github.com/taskmesh/taskmesh/services/notification/internal/store"
)

// Deps are what the notification service's handlers need.
type Deps struct {
	Store    *store.Store
	Verifier *authn.Verifier
	Log      zerolog.Logger
}

// NewMux returns the notification service's Connect surface: NotificationService behind
// the standard interceptors (every procedure needs an access token), plus health and
// reflection. The Dapr callbacks are mounted by the caller when there is a sidecar.
func NewMux(d Deps) *http.ServeMux {
	opts := server.HandlerOptions(d.Log, d.Verifier, func(string) bool { return false })
	path, h := notificationv1connect.NewNotificationServiceHandler(NewNotificationServer(d.Store), opts)
	return server.Mux(server.Service{Name: notificationv1connect.NotificationServiceName, Path: path, Handler: h})
}
