package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	authv1 "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1/authv1connect"
	"github.com/taskmesh/taskmesh/pkg/pgtest"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

func TestRunServesMigratesAndShutsDownGracefully(t *testing.T) {
	dbURL := pgtest.NewDatabase(t, nil) // empty: run must migrate it
	keyFile, verifyFile, _ := rpctest.KeyFiles(t)
	base, logs, stop := rpctest.StartRun(t, run, map[string]string{
		"DATABASE_URL": dbURL, "AUTH_SIGNING_KEY_FILE": keyFile, "AUTH_VERIFY_KEY_FILE": verifyFile, "ADDR": "127.0.0.1:0",
	})
	ctx := context.Background()

	rpctest.WantServing(t, base, authv1connect.AuthServiceName)
	auth := authv1connect.NewAuthServiceClient(http.DefaultClient, base)
	if _, err := auth.SignUp(ctx, connect.NewRequest(&authv1.SignUpRequest{Email: "run@example.com", Password: "long enough"})); err != nil {
		t.Fatalf("sign up against a freshly migrated database: %v", err)
	}
	if !strings.Contains(logs.String(), `"procedure":"/taskmesh.auth.v1.AuthService/SignUp"`) {
		t.Fatalf("the request was not logged:\n%s", logs)
	}

	if err := stop(); err != nil {
		t.Fatalf("run after shutdown: %v", err)
	}
}

func TestRunRefusesToStartWithoutItsSettings(t *testing.T) {
	// Settings are checked before anything touches the database: the keys first.
	priv, pub, _ := rpctest.KeyFiles(t)
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"nothing":                                {env: map[string]string{}, want: "AUTH_SIGNING_KEY"},
		"a key that is not PEM":                  {env: map[string]string{"AUTH_SIGNING_KEY": "secret"}, want: "AUTH_SIGNING_KEY"},
		"no verify key set":                      {env: map[string]string{"AUTH_SIGNING_KEY_FILE": priv}, want: "AUTH_VERIFY_KEY"},
		"keys but no database":                   {env: map[string]string{"AUTH_SIGNING_KEY_FILE": priv, "AUTH_VERIFY_KEY_FILE": pub}, want: "DATABASE_URL"},
		"a session limit that is not a duration": {env: map[string]string{"AUTH_SIGNING_KEY_FILE": priv, "AUTH_VERIFY_KEY_FILE": pub, "SESSION_MAX_AGE": "90 days"}, want: "SESSION_MAX_AGE"},
		"a session limit under an hour":          {env: map[string]string{"AUTH_SIGNING_KEY_FILE": priv, "AUTH_VERIFY_KEY_FILE": pub, "SESSION_MAX_AGE": "5m"}, want: "SESSION_MAX_AGE"},
	} {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), func(k string) string { return tc.env[k] }, &rpctest.LogBuffer{}, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run = %v; want an error naming %s", err, tc.want)
			}
		})
	}
}
