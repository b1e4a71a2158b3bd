package clientaddr_test

import (
	"net/netip"
	"testing"

	"github.com/taskmesh/taskmesh/pkg/clientaddr"
)

func TestFromForwarded(t *testing.T) {
	trusted, err := clientaddr.ParseTrusted("10.0.0.0/8, 192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		peer string
		xff  []string
		want string
	}{
		{"untrusted peer, no header", "203.0.113.9:4000", nil, "203.0.113.9"},
		{"untrusted peer spoofs X-Forwarded-For", "203.0.113.9:4000", []string{"1.2.3.4"}, "203.0.113.9"},
		{"trusted proxy: the hop it appended", "10.1.2.3:4000", []string{"198.51.100.4"}, "198.51.100.4"},
		{"trusted proxy: the client's own claims left of it are ignored", "10.1.2.3:4000", []string{"1.2.3.4, 6.6.6.6, 198.51.100.4"}, "198.51.100.4"},
		{"two trusted hops are skipped", "10.1.2.3:4000", []string{"1.2.3.4, 198.51.100.4, 192.0.2.7, 10.9.9.9"}, "198.51.100.4"},
		{"hops over several header lines", "10.1.2.3:4000", []string{"1.2.3.4", "198.51.100.4", "10.9.9.9"}, "198.51.100.4"},
		{"trusted proxy, no header: the proxy", "10.1.2.3:4000", nil, "10.1.2.3"},
		{"every hop trusted: the leftmost", "10.1.2.3:4000", []string{"10.0.0.1, 10.0.0.2"}, "10.0.0.1"},
		{"garbage hop stops the walk", "10.1.2.3:4000", []string{"198.51.100.4, not-an-ip, 10.0.0.2"}, "10.0.0.2"},
		{"IPv6 client behind a trusted proxy", "10.1.2.3:4000", []string{"2001:db8::1"}, "2001:db8::1"},
		{"IPv4-mapped peer is trusted as IPv4", "[::ffff:10.1.2.3]:4000", []string{"198.51.100.4"}, "198.51.100.4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := clientaddr.FromForwarded(c.peer, c.xff, trusted); got != c.want {
				t.Fatalf("FromForwarded(%q, %q) = %q; want %q", c.peer, c.xff, got, c.want)
			}
		})
	}
}

func TestFromForwardedTrustsNoOneByDefault(t *testing.T) {
	if got := clientaddr.FromForwarded("127.0.0.1:1", []string{"1.2.3.4"}, nil); got != "127.0.0.1" {
		t.Fatalf("got %q; want the peer", got)
	}
}

func TestParseTrusted(t *testing.T) {
	got, err := clientaddr.ParseTrusted("10.0.0.0/8 ::1,192.168.1.5/24")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("192.168.1.0/24")}
	if len(got) != len(want) {
		t.Fatalf("got %v; want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v; want %v", got, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "1.2.3"} {
		if _, err := clientaddr.ParseTrusted(bad); err == nil {
			t.Errorf("ParseTrusted(%q) accepted it", bad)
		}
	}
}
