package prep

import (
	"crypto/sha1"
	"encoding/base64"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// Auth holds the server-wide ACL settings.
type Auth struct {
	SkipACL     bool   // zookeeper.skipACL
	SuperDigest string // zookeeper.DigestAuthenticationProvider.superDigest ("super:<digest>")
}

// DigestID is the id the digest scheme derives from "user:password": user + ":" +
// base64(sha1("user:password")).
func DigestID(userPassword string) string {
	user, _, _ := strings.Cut(userPassword, ":")
	sum := sha1.Sum([]byte(userPassword))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

// Authenticate handles an auth packet: the ids to add to the connection, or false (AUTHFAILED)
// for a scheme without a provider. remoteIP is the client's address for the ip scheme.
func (a *Auth) Authenticate(scheme string, auth []byte, remoteIP string) ([]records.ID, bool) {
	switch scheme {
	case "digest":
		if auth == nil {
			return nil, false // Java fails on a null auth buffer
		}
		id := DigestID(string(auth))
		out := []records.ID{}
		if a.SuperDigest != "" && id == a.SuperDigest {
			out = append(out, records.ID{Scheme: "super", ID: ""})
		}
		return append(out, records.ID{Scheme: "digest", ID: id}), true
	case "ip":
		return []records.ID{{Scheme: "ip", ID: remoteIP}}, true
	}
	return nil, false
}

// UserName is what whoAmI reports for an id (the provider's getUserName).
func UserName(id records.ID) string {
	switch id.Scheme {
	case "digest":
		u, _, _ := strings.Cut(id.ID, ":")
		return u
	case "ip":
		return id.ID
	}
	return ""
}

// authenticated reports whether a scheme's ids count for the "auth" ACL scheme.
func authenticated(scheme string) bool { return scheme == "digest" }

// validID reports whether a provider accepts an id in an ACL.
func validID(scheme, id string) bool {
	switch scheme {
	case "digest":
		// Java: id.split(":").length == 2 (trailing empty parts dropped).
		parts := strings.Split(id, ":")
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		return len(parts) == 2
	case "ip":
		addr, bits, hasBits := strings.Cut(id, "/")
		if _, ok := v4Bytes(addr); !ok {
			return false
		}
		if hasBits {
			n, ok := javaParseInt(bits)
			if !ok || n < 0 || n > 32 {
				return false
			}
		}
		return true
	}
	return false
}

// javaParseInt is Integer.parseInt: an optional sign and decimal digits.
func javaParseInt(s string) (int, bool) {
	t := strings.TrimPrefix(strings.TrimPrefix(s, "+"), "-")
	if t == "" || len(s)-len(t) > 1 {
		return 0, false
	}
	for _, c := range t {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 32)
	return int(n), err == nil
}

// v4Bytes parses a dotted IPv4 address the way ZooKeeper 3.9's ip provider does (it has no
// IPv6 support: its addr2Bytes only tries IPv4).
func v4Bytes(addr string) ([4]byte, bool) {
	var b [4]byte
	parts := strings.Split(addr, ".")
	if len(parts) != 4 {
		return b, false
	}
	for i, p := range parts {
		v, ok := javaParseInt(p)
		if !ok || v < 0 || v > 255 {
			return b, false
		}
		b[i] = byte(v)
	}
	return b, true
}

// ipMatches is the ip provider's match: masked IPv4 address bytes.
func ipMatches(client, acl string) bool {
	addr, bits, hasBits := strings.Cut(acl, "/")
	a, ok := v4Bytes(addr)
	if !ok {
		return false
	}
	n := 32
	if hasBits {
		if n, ok = javaParseInt(bits); !ok || n < 0 || n > 32 {
			return false
		}
	}
	c, ok := v4Bytes(client)
	if !ok {
		return false
	}
	mask := func(b *[4]byte) {
		for i := range b {
			keep := n - 8*i
			switch {
			case keep <= 0:
				b[i] = 0
			case keep < 8:
				b[i] &= byte(0xff << (8 - keep))
			}
		}
	}
	mask(&a)
	mask(&c)
	return a == c
}

// JavaSetOrder orders auth ids the way ZooKeeper 3.9 iterates a connection's auth set (a
// ConcurrentHashMap-backed set keyed by Id.hashCode): whoAmI and the "auth" ACL expansion
// list ids in that order.
func JavaSetOrder(ids []records.ID) []records.ID {
	n := 16
	for len(ids) > n-n/4 {
		n *= 2
	}
	out := make([]records.ID, 0, len(ids))
	bins := make([][]records.ID, n)
	for _, id := range ids {
		h := 17*37 + javaHash(id.Scheme)
		h = 37*h + javaHash(id.ID)
		s := (h ^ int32(uint32(h)>>16)) & 0x7fffffff
		bins[int(s)&(n-1)] = append(bins[int(s)&(n-1)], id)
	}
	for _, b := range bins {
		out = append(out, b...)
	}
	return out
}

// javaHash is String.hashCode over UTF-16 code units.
func javaHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

// Check is ZooKeeper's checkACL: nil when ids may do perm on a node with acl, else NOAUTH.
func (a *Auth) Check(acl []records.ACL, perm int32, ids []records.ID) error {
	if a.SkipACL || len(acl) == 0 {
		return nil
	}
	for _, id := range ids {
		if id.Scheme == "super" {
			return nil
		}
	}
	for _, e := range acl {
		if e.Perms&perm == 0 {
			continue
		}
		if e.ID.Scheme == "world" && e.ID.ID == "anyone" {
			return nil
		}
		for _, id := range ids {
			if id.Scheme != e.ID.Scheme {
				continue
			}
			switch id.Scheme {
			case "digest":
				if id.ID == e.ID.ID {
					return nil
				}
			case "ip":
				if ipMatches(id.ID, e.ID.ID) {
					return nil
				}
			}
		}
	}
	return wire.ErrNoAuth
}

// FixupACL validates and expands a requested ACL list (PrepRequestProcessor.fixupACL):
// duplicates removed, empty list invalid, "auth" entries replaced by the requester's
// authenticated ids, other schemes checked by their provider.
func FixupACL(acl []records.ACL, ids []records.ID) ([]records.ACL, error) {
	var uniq []records.ACL
	for _, e := range acl {
		dup := false
		for _, u := range uniq {
			if u == e {
				dup = true
				break
			}
		}
		if !dup {
			uniq = append(uniq, e)
		}
	}
	if len(uniq) == 0 {
		return nil, wire.ErrInvalidACL
	}
	out := make([]records.ACL, 0, len(uniq))
	for _, e := range uniq {
		switch {
		case e.ID.Scheme == "world" && e.ID.ID == "anyone":
			out = append(out, e)
		case e.ID.Scheme == "auth":
			found := false
			for _, id := range JavaSetOrder(ids) {
				if authenticated(id.Scheme) {
					found = true
					out = append(out, records.ACL{Perms: e.Perms, ID: id})
				}
			}
			if !found {
				return nil, wire.ErrInvalidACL
			}
		default:
			if !validID(e.ID.Scheme, e.ID.ID) {
				return nil, wire.ErrInvalidACL
			}
			out = append(out, e)
		}
	}
	return out, nil
}
