package handler

import (
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
)

// TestClientAddress: the address the gateway passes counts only on calls that carry the
// app API token (only the api's own sidecar has it) from web, as daprd names the caller
// (the last dapr-caller-app-id); anything else counts against the peer, whatever
// X-Forwarded-For or client-address header the client sends.
func TestClientAddress(t *testing.T) {
	secret := strings.Repeat("t", 40)
	token, err := apptoken.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	s := &AuthServer{appToken: token}
	peer := connect.Peer{Addr: "127.0.0.1:5555"}
	cases := []struct {
		name   string
		header http.Header
		want   string
	}{
		{"direct call: the peer", http.Header{}, "127.0.0.1"},
		{"direct call ignores X-Forwarded-For", http.Header{"X-Forwarded-For": {"6.6.6.6"}}, "127.0.0.1"},
		{"forged web caller with X-Forwarded-For", http.Header{"Dapr-Caller-App-Id": {"web"}, "X-Forwarded-For": {"6.6.6.6"}}, "127.0.0.1"},
		{"forged web caller with the client header, no token", http.Header{
			"Dapr-Caller-App-Id": {"web"}, "Taskmesh-Client-Ip": {"6.6.6.6"},
		}, "127.0.0.1"},
		{"forged web caller with the client header, wrong token", http.Header{
			"Dapr-Caller-App-Id": {"web"}, "Taskmesh-Client-Ip": {"6.6.6.6"}, "Dapr-Api-Token": {strings.Repeat("x", 40)},
		}, "127.0.0.1"},
		{"through the gateway: the address it found", http.Header{
			"Dapr-Caller-App-Id": {"web"}, "Taskmesh-Client-Ip": {"203.0.113.7"}, "Dapr-Api-Token": {secret},
		}, "203.0.113.7"},
		{"forged web before daprd's caller: the peer", http.Header{
			"Dapr-Caller-App-Id": {"web", "recurring"}, "Taskmesh-Client-Ip": {"203.0.113.7"}, "Dapr-Api-Token": {secret},
		}, "127.0.0.1"},
		{"through another app: the peer", http.Header{
			"Dapr-Caller-App-Id": {"recurring"}, "Taskmesh-Client-Ip": {"203.0.113.7"}, "Dapr-Api-Token": {secret},
		}, "127.0.0.1"},
		{"through the gateway, address garbled: the peer", http.Header{
			"Dapr-Caller-App-Id": {"web"}, "Taskmesh-Client-Ip": {"somewhere"}, "Dapr-Api-Token": {secret},
		}, "127.0.0.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := s.clientAddress(peer, c.header); got != c.want {
				t.Fatalf("clientAddress = %q; want %q", got, c.want)
			}
		})
	}
}
