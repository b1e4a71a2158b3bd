package handler

import (
	"net/http"

	"github.com/rs/zerolog"

	"github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1/authv1connect"
	"github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1/internalv1connect"
	"github.com/taskmesh/taskmesh/gen/taskmesh/task/v1/taskv1connect"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/password"
	"github.com/taskmesh/taskmesh/pkg/server"
	"github.com/taskmesh/taskmesh/services/api/internal/store"
)

// Deps are what the api's handlers need.
type Deps struct {
	Store     *store.Store
	Tokens    *authn.Issuer
	Passwords *password.Hasher
	Limits    Limiters
	// AppToken is the app API token the api's sidecar sends (see package apptoken):
	// TaskInternalService requires it, and so does a client address the gateway passes.
	AppToken apptoken.Token
	Log      zerolog.Logger
}

// MeshCallers are the apps allowed to call TaskInternalService.
var MeshCallers = []string{meshnames.Recurring, meshnames.Notification, meshnames.Realtime}

// NewMux returns the api's whole HTTP surface: AuthService, TaskService and TagService
// behind the standard interceptors, TaskInternalService for the mesh, plus health and
// reflection.
func NewMux(d Deps) *http.ServeMux {
	opts := server.HandlerOptions(d.Log, d.Tokens.Verifier, func(p string) bool { return PublicProcedures[p] })
	svc := func(name, path string, h http.Handler) server.Service {
		return server.Service{Name: name, Path: path, Handler: h}
	}
	authPath, authH := authv1connect.NewAuthServiceHandler(NewAuthServer(d.Store, d.Tokens, d.Passwords, d.Limits, d.AppToken), opts)
	taskPath, taskH := taskv1connect.NewTaskServiceHandler(NewTaskServer(d.Store), opts)
	tagPath, tagH := taskv1connect.NewTagServiceHandler(NewTagServer(d.Store), opts)
	internalPath, internalH := internalv1connect.NewTaskInternalServiceHandler(NewInternalServer(d.Store),
		server.MeshHandlerOptions(d.Log, d.AppToken, MeshCallers...))
	return server.Mux(
		svc(authv1connect.AuthServiceName, authPath, authH),
		svc(taskv1connect.TaskServiceName, taskPath, taskH),
		svc(taskv1connect.TagServiceName, tagPath, tagH),
		server.Service{Name: internalv1connect.TaskInternalServiceName, Path: internalPath, Handler: internalH, MeshOnly: true},
	)
}
