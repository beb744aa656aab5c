package push

import (
	"fmt"
	"net/netip"
	"syscall"
)

// Guard refuses connections to addresses an endpoint must not reach
// (server-side request forgery): link-local (the 169.254.169.254 cloud
// metadata service among them), unspecified, multicast and, unless
// AllowLoopback, loopback. It checks the address actually dialled, after
// DNS resolution, so a name that resolves to a forbidden address, or
// changes to one after the subscription was made, is refused too.
type Guard struct {
	AllowLoopback bool
}

// Allowed reports whether ip may be dialled.
func (g Guard) Allowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid(), ip.IsUnspecified(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(),
		ip.IsInterfaceLocalMulticast(), ip.IsMulticast():
		return false
	case ip.IsLoopback():
		return g.AllowLoopback
	}
	// fd00:ec2::254, AWS's IPv6 metadata address, is unique-local.
	return ip != netip.MustParseAddr("fd00:ec2::254")
}

// control is a net.Dialer Control that applies the guard.
func (g Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("push: dial %s: %w", address, err)
	}
	if !g.Allowed(ap.Addr()) {
		return fmt.Errorf("push: endpoint address %s is not allowed", ap.Addr())
	}
	return nil
}
