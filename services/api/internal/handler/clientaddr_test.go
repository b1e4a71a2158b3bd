package handler

import (
	"net/http"
	"testing"

	"connectrpc.com/connect"
)

func TestClientAddress(t *testing.T) {
	peer := connect.Peer{Addr: "127.0.0.1:5555"}
	cases := []struct {
		name   string
		header http.Header
		want   string
	}{
		{"direct call: the peer", http.Header{}, "127.0.0.1"},
		{"direct call ignores X-Forwarded-For", http.Header{"X-Forwarded-For": {"6.6.6.6"}}, "127.0.0.1"},
		{"through the gateway: the hop it appended", http.Header{
			"Dapr-Caller-App-Id": {"web"}, "X-Forwarded-For": {"6.6.6.6, 203.0.113.7"},
		}, "203.0.113.7"},
		{"through another app: the peer", http.Header{
			"Dapr-Caller-App-Id": {"recurring"}, "X-Forwarded-For": {"203.0.113.7"},
		}, "127.0.0.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := clientAddress(peer, c.header); got != c.want {
				t.Fatalf("clientAddress = %q; want %q", got, c.want)
			}
		})
	}
}
