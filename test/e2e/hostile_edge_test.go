package e2e

import (
	"testing"

	"github.com/taskmesh/taskmesh/pkg/devmesh"
)

// The browser edge (issue 9, item 7): the socket's token never travels in a URL, and the
// gateway's answers carry the security headers. That the app works under them is the
// browser tests' part (frontend/e2e/07-security.test.mjs); that a plain curl call works is
// in TestMesh.
func init() {
	registerHostile("browser edge: a valid token in the socket's URL opens nothing", func(t *testing.T, m *devmesh.Mesh, bystander *user) {
		testSocketTokenNotInURL(t, m, bystander)
	})
	registerHostile("browser edge: the gateway sends the security headers", func(t *testing.T, m *devmesh.Mesh, _ *user) {
		testSecurityHeaders(t, m)
	})
}
