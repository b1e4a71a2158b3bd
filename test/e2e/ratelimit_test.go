package e2e

import (
	"context"
	"net/http"
	"testing"

	"connectrpc.com/connect"

	authv1 "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1/authv1connect"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/meshtest"
)

// TestSignInLimitIsSharedByAPIReplicas: the sign-in failure counts live in the Dapr state
// store, so two api replicas together give one address 5 wrong passwords for an account
// (handler.PerPairBackoff.Free) before it must wait, not 10.
func TestSignInLimitIsSharedByAPIReplicas(t *testing.T) {
	m := meshtest.Start(t, meshtest.Apps(meshnames.API, meshnames.Web), meshtest.Replicas(meshnames.API, 2))
	u := signUp(t, m.WebURL, false)
	email := ""
	{ // the user's email: ask GetMe through the gateway
		me, err := u.auth.GetMe(context.Background(), connect.NewRequest(&authv1.GetMeRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		email = me.Msg.GetUser().GetEmail()
	}
	replicas := m.Instances[meshnames.API]
	attempt := func(i int) error {
		c := authv1connect.NewAuthServiceClient(http.DefaultClient, replicas[i%len(replicas)].URL())
		_, err := c.SignIn(context.Background(), connect.NewRequest(&authv1.SignInRequest{Email: email, Password: "wrong password"}))
		return err
	}
	const free = 5
	for i := range free {
		if code := connect.CodeOf(attempt(i)); code != connect.CodeUnauthenticated {
			t.Fatalf("attempt %d: %v; want Unauthenticated (wrong password, within the limit)", i+1, code)
		}
	}
	for i := free; i < free+2; i++ {
		if code := connect.CodeOf(attempt(i)); code != connect.CodeResourceExhausted {
			t.Fatalf("attempt %d on replica %d: %v; want ResourceExhausted (the replicas share one limit)", i+1, i%2, code)
		}
	}
}
