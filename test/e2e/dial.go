package e2e

import (
	"context"
	"crypto/tls"
	"net"
)

func dialPlain(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}
