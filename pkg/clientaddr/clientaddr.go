// Package clientaddr decides which address a request comes from, for the limits that
// count per address. Only the gateway sees the client's connection; it finds the client's
// address (taking X-Forwarded-For only from proxies it is told to trust) and hands it to
// the services in Header. A header any client can send cannot steer a limit: the gateway
// replaces Header, and the services believe it only on calls from the gateway through
// their own sidecar.
package clientaddr

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Header carries the client's address from the gateway to the services.
const Header = "Taskmesh-Client-Ip"

// ParseTrusted parses a comma- or space-separated list of proxies to trust (CIDRs such
// as 10.0.0.0/8, or single addresses), as TRUSTED_PROXIES holds it. An empty list trusts
// no proxy.
func ParseTrusted(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want a CIDR (10.0.0.0/8) or an address", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// Host returns the address part of a host:port peer address (or addr itself when it has
// no port).
func Host(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// FromForwarded returns the client's address: the peer (remoteAddr, host:port) unless
// the peer is a trusted proxy, in which case the X-Forwarded-For hops (xff: the header's
// values in order) are walked from the right, the proxies' own appends, skipping trusted
// proxies; the first untrusted hop is the client. Hops left of it were written by the
// client and are never believed. When every hop is trusted, the leftmost is the client;
// a hop that is not an address ends the walk at the last good one.
func FromForwarded(remoteAddr string, xff []string, trusted []netip.Prefix) string {
	peer := Host(remoteAddr)
	addr, err := netip.ParseAddr(peer)
	if err != nil || !isTrusted(addr, trusted) {
		return peer
	}
	var hops []string
	for _, v := range xff {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := addr
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // garbage, maybe the client's: keep the last hop we could read
		}
		client = hop.Unmap()
		if !isTrusted(client, trusted) {
			break
		}
	}
	return client.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
