package prep

import (
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/wire"
)

// Ensemble is what a reconfig request is checked against on the leader.
type Ensemble interface {
	// Committed is the active configuration; LastSeen the newest one proposed (they differ
	// while a reconfig is in flight).
	Committed() *config.Verifier
	LastSeen() *config.Verifier
	// QuorumSynced reports whether the leader and its synced followers that vote in v make a
	// quorum of v (Leader.isQuorumSynced).
	QuorumSynced(v *config.Verifier) bool
}

// reconfig prepares a reconfig (PrepRequestProcessor, OpCode.reconfig): the checks in Java's
// order, then a SetDataTxn of the new config text on /zookeeper/config with version -1. The
// new config's version is the txn's zxid.
func (p *Prep) reconfig(body jute.Record, r *Request, ctx *txnCtx) (jute.Record, error) {
	if !p.ReconfigEnable {
		return nil, wire.ErrReconfigDisabled
	}
	if err := p.checkSession(r); err != nil {
		return nil, err
	}
	if p.Ensemble == nil {
		return nil, wire.ErrUnimplemented // standalone
	}
	req := reconfigRequest(body)
	last := p.Ensemble.LastSeen()
	if last.Version != p.Ensemble.Committed().Version {
		return nil, wire.ErrReconfigInProgress
	}
	if req.CurConfigID != -1 && req.CurConfigID != last.Version {
		return nil, wire.ErrBadVersion
	}
	next, err := NextConfig(last, req)
	if err != nil {
		return nil, err
	}
	next.Version = ctx.zxid
	voters := len(next.Voters())
	if (p.StandaloneEnabled && voters < 2) || voters < 1 {
		return nil, wire.ErrBadArguments
	}
	if !p.Ensemble.QuorumSynced(next) {
		return nil, wire.ErrNewConfigNoQuorum
	}
	node, err := p.get(datatree.ConfigPath)
	if err != nil {
		return nil, err
	}
	if err := p.Auth.Check(node.acl, wire.PermWrite, r.Auth); err != nil {
		return nil, err
	}
	data := []byte(next.Text())
	n := node.dup(ctx.zxid)
	n.stat.Version, n.stat.Mtime, n.stat.Mzxid, n.data = -1, ctx.time, ctx.zxid, data
	p.add(ctx, n)
	return &records.SetDataTxn{Path: datatree.ConfigPath, Data: data, Version: -1}, nil
}

func reconfigRequest(body jute.Record) *wire.ReconfigRequest {
	switch b := body.(type) {
	case *wire.ReconfigRequest:
		return b
	case *records.ReconfigRequest:
		return &wire.ReconfigRequest{ReconfigRequest: *b}
	}
	return &wire.ReconfigRequest{ReconfigRequest: records.ReconfigRequest{CurConfigID: -1}, NullJoining: true, NullLeaving: true, NullNewMembers: true}
}

// NextConfig computes the configuration a reconfig request asks for, from the last seen one
// (its version is left for the caller): non-incremental when newMembers is not null (the
// whole membership, separated by commas or newlines), else incremental (leaving ids removed,
// then joining "server.N=spec" entries added or replaced; each joiner needs quorum, election
// and client ports and addresses no other member uses). Malformed input is BADARGUMENTS
// where Java raises a ConfigException or KeeperException, MARSHALLINGERROR where Java fails
// with a NumberFormatException (a leaving id or joining server id that is not a number).
func NextConfig(last *config.Verifier, req *wire.ReconfigRequest) (*config.Verifier, error) {
	if !req.NullNewMembers {
		v, err := config.ParseVerifier(strings.ReplaceAll(req.NewMembers, ",", "\n"))
		if err != nil {
			return nil, wire.ErrBadArguments
		}
		return v, nil
	}
	// new HashMap<>(lastSeenQV.getAllMembers()): the new config's members print in the order
	// of that map.
	next := config.NewJavaMap(len(last.Servers))
	for _, s := range last.Servers {
		next.Put(s)
	}
	if !req.NullLeaving {
		for _, l := range splitTrim(req.LeavingServers) {
			sid, err := strconv.ParseInt(l, 10, 64)
			if err != nil {
				return nil, wire.ErrMarshallingError
			}
			next.Remove(sid)
		}
	}
	if !req.NullJoining {
		for _, j := range splitTrim(req.JoiningServers) {
			parts := strings.Split(j, "=")
			if len(parts) != 2 {
				return nil, wire.ErrBadArguments
			}
			sid, err := strconv.ParseInt(parts[0][strings.LastIndexByte(parts[0], '.')+1:], 10, 64)
			if err != nil {
				return nil, wire.ErrMarshallingError
			}
			s, err := config.ParseServerSpec(sid, strings.TrimSpace(parts[1]))
			if err != nil || !s.HasClientAddr {
				return nil, wire.ErrBadArguments
			}
			for _, o := range next.Servers() {
				if o.ID != s.ID && duplicateAddr(s, o) {
					return nil, wire.ErrBadArguments
				}
			}
			next.Remove(s.ID)
			next.Put(s)
		}
	}
	return &config.Verifier{Servers: next.Servers()}, nil
}

// splitTrim is ZooKeeper's StringUtils.split on commas: trimmed, empty parts dropped.
func splitTrim(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// duplicateAddr is QuorumServer.checkAddressDuplicate: one of s's quorum, client and
// election addresses equals one of o's; wildcard and loopback addresses (and host names,
// which zkgo does not resolve) never conflict.
func duplicateAddr(s, o config.Server) bool {
	addrs := func(x config.Server) []string {
		var out []string
		add := func(host string, port int) {
			if ip := net.ParseIP(host); ip != nil && !ip.IsLoopback() && !ip.IsUnspecified() {
				out = append(out, net.JoinHostPort(ip.String(), strconv.Itoa(port)))
			}
		}
		add(x.Host, x.QuorumPort)
		if x.HasClientAddr {
			add(x.ClientHost, x.ClientPort)
		}
		add(x.Host, x.ElectionPort)
		return out
	}
	others := addrs(o)
	for _, a := range addrs(s) {
		if slices.Contains(others, a) {
			return true
		}
	}
	return false
}
