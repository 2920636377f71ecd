package compat

import (
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// ACL and auth scenarios: every scheme, the permission each operation needs, fixupACL,
// getACL masking, super, and the auth packet.

// permOps tries every operation against path (which has a child "kid" and data) and records
// what the server allows.
func permOps(c *Client, path string) {
	c.GetData(path, false)
	c.Exists(path, false)
	c.GetChildren(path, false)
	c.GetChildren2(path, false)
	c.GetAllChildrenNumber(path)
	c.GetACL(path)
	c.SetData(path, "w", -1)
	c.Create(path+"/new", "", 0)
	c.Delete(path+"/kid", -1)
	c.SetACL(path, OpenACL, -1)
	c.MultiRead(MGetData(path), MGetChildren(path))
	c.Multi(MCheck(path, -1))
	c.SyncPath(path)
}

func init() {
	alice, bob := Digest("alice:pw"), Digest("bob:pw")
	register(
		&Scenario{Name: "acl/perms-matrix", Doc: "each permission bit alone (and none): which operations pass and which get NOAUTH", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			for _, p := range []struct {
				name  string
				perms int32
			}{{"r", wire.PermRead}, {"w", wire.PermWrite}, {"c", wire.PermCreate}, {"d", wire.PermDelete}, {"a", wire.PermAdmin}, {"none", 0}} {
				path := s.P("/" + p.name)
				a.Create(path, "data", 0)
				a.Create(path+"/kid", "", 0)
				a.SetACL(path, []records.ACL{ACL(p.perms, "world", "anyone")}, -1)
				permOps(a, path)
			}
		}},
		&Scenario{Name: "acl/digest", Doc: "digest ACLs: NOAUTH without the identity, with another one, with a wrong password; access after auth", Run: func(s *S) {
			a := s.Connect("a")
			b := s.Connect("b")
			a.Create(s.P(""), "", 0)
			a.Auth("digest", "alice:pw")
			a.CreateACL(s.P("/secret"), "s", []records.ACL{ACL(wire.PermAll, "digest", alice)}, 0)
			a.GetData(s.P("/secret"), false)
			b.GetData(s.P("/secret"), false)
			b.Exists(s.P("/secret"), false)
			b.Auth("digest", "alice:wrong")
			b.GetData(s.P("/secret"), false)
			b.Auth("digest", "bob:pw")
			b.GetData(s.P("/secret"), false)
			b.Auth("digest", "alice:pw")
			b.GetData(s.P("/secret"), false)
			b.SetData(s.P("/secret"), "t", -1)
			b.GetACL(s.P("/secret"))
			b.Delete(s.P("/secret"), -1)
		}},
		&Scenario{Name: "acl/auth-scheme", Doc: "the auth pseudo-scheme: INVALIDACL without an authenticated identity, expansion to every digest identity", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.CreateACL(s.P("/x"), "", AuthACL, 0)
			a.CreateACL(s.P("/x"), "", []records.ACL{ACL(wire.PermAll, "auth", "whatever")}, 0)
			a.Auth("digest", "alice:pw")
			a.CreateACL(s.P("/one"), "", AuthACL, 0)
			a.GetACL(s.P("/one"))
			a.Auth("digest", "bob:pw")
			a.CreateACL(s.P("/two"), "", []records.ACL{ACL(wire.PermRead|wire.PermAdmin, "auth", "ignored"), ACL(wire.PermRead, "world", "anyone")}, 0)
			a.GetACL(s.P("/two"))
			a.SetACL(s.P("/one"), AuthACL, -1)
			a.GetACL(s.P("/one"))
		}},
		&Scenario{Name: "acl/ip", Doc: "ip ACLs: exact address, masks, other networks, IPv6, invalid ids", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			for i, id := range []string{"127.0.0.1", "127.0.0.0/8", "127.0.0.1/32", "10.1.2.3", "10.0.0.0/8", "::1", "0.0.0.0/0", "127.0.0.1/33", "not-an-ip", "300.1.1.1", ""} {
				p := s.P("/ip" + string(rune('a'+i)))
				if _, ok := a.CreateACL(p, "d", []records.ACL{ACL(wire.PermAll, "ip", id)}, 0); ok {
					a.GetData(p, false)
				}
			}
		}},
		&Scenario{Name: "acl/invalid", Doc: "fixupACL: empty and null lists, unknown schemes, malformed ids, odd permission bits", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.CreateACL(s.P("/empty"), "", []records.ACL{}, 0)
			a.CreateACL(s.P("/null"), "", nil, 0)
			a.CreateACL(s.P("/scheme"), "", []records.ACL{ACL(wire.PermAll, "foo", "bar")}, 0)
			a.CreateACL(s.P("/digest1"), "", []records.ACL{ACL(wire.PermAll, "digest", "nocolon")}, 0)
			a.CreateACL(s.P("/digest2"), "", []records.ACL{ACL(wire.PermAll, "digest", "a:b:c")}, 0)
			a.CreateACL(s.P("/world"), "", []records.ACL{ACL(wire.PermAll, "world", "someone")}, 0)
			a.CreateACL(s.P("/super"), "", []records.ACL{ACL(wire.PermAll, "super", "")}, 0)
			a.CreateACL(s.P("/perm0"), "", []records.ACL{ACL(0, "world", "anyone")}, 0)
			a.GetACL(s.P("/perm0"))
			a.CreateACL(s.P("/permhigh"), "", []records.ACL{ACL(0x7f, "world", "anyone")}, 0)
			a.GetACL(s.P("/permhigh"))
			a.CreateACL(s.P("/permneg"), "", []records.ACL{ACL(-1, "world", "anyone")}, 0)
			a.GetACL(s.P("/permneg"))
			a.CreateACL(s.P("/dup"), "", []records.ACL{ACL(wire.PermRead, "world", "anyone"), ACL(wire.PermRead, "world", "anyone"), ACL(wire.PermWrite, "world", "anyone")}, 0)
			a.GetACL(s.P("/dup"))
			a.CreateACL(s.P("/mixed"), "", []records.ACL{ACL(wire.PermRead, "world", "anyone"), ACL(wire.PermAll, "foo", "bar")}, 0)
			a.Create(s.P("/n"), "", 0)
			a.SetACL(s.P("/n"), []records.ACL{}, -1)
			a.SetACL(s.P("/n"), AuthACL, -1)
			a.SetACL(s.P("/n"), []records.ACL{ACL(wire.PermAll, "digest", "nocolon")}, -1)
			a.GetACL(s.P("/n"))
		}},
		&Scenario{Name: "acl/getACL-masking", Doc: "getACL without ADMIN masks digest ids as user:x; with ADMIN (or as super) it does not", Needs: NeedsSuperDigest, Run: func(s *S) {
			a := s.Connect("a")
			b := s.Connect("b")
			a.Create(s.P(""), "", 0)
			a.Auth("digest", "alice:pw")
			acl := []records.ACL{ACL(wire.PermRead, "world", "anyone"), ACL(wire.PermAll, "digest", alice), ACL(wire.PermRead, "digest", bob), ACL(wire.PermRead, "ip", "127.0.0.1")}
			a.CreateACL(s.P("/m"), "", acl, 0)
			a.GetACL(s.P("/m"))
			b.GetACL(s.P("/m"))
			b.Auth("digest", "bob:pw")
			b.GetACL(s.P("/m"))
			a.CreateACL(s.P("/adminonly"), "", []records.ACL{ACL(wire.PermAdmin, "world", "anyone"), ACL(wire.PermRead, "digest", alice)}, 0)
			b.GetACL(s.P("/adminonly"))
			a.CreateACL(s.P("/none"), "", []records.ACL{ACL(wire.PermWrite, "world", "anyone"), ACL(wire.PermAll, "digest", alice)}, 0)
			b.GetACL(s.P("/none"))
			b.Auth("digest", SuperAuth)
			b.GetACL(s.P("/none"))
		}},
		&Scenario{Name: "acl/super", Doc: "the superDigest identity bypasses every ACL", Needs: NeedsSuperDigest, Run: func(s *S) {
			a := s.Connect("a")
			su := s.Connect("super")
			a.Create(s.P(""), "", 0)
			a.Auth("digest", "alice:pw")
			a.CreateACL(s.P("/locked"), "x", []records.ACL{ACL(wire.PermAll, "digest", alice)}, 0)
			a.Create(s.P("/locked/kid"), "", 0)
			a.SetACL(s.P("/locked"), []records.ACL{ACL(wire.PermRead, "digest", alice)}, -1)
			su.GetData(s.P("/locked"), false)
			su.Auth("digest", "super:wrong")
			su.GetData(s.P("/locked"), false)
			su.Auth("digest", SuperAuth)
			su.WhoAmI()
			su.GetData(s.P("/locked"), false)
			su.SetData(s.P("/locked"), "y", -1)
			su.Create(s.P("/locked/new"), "", 0)
			su.Delete(s.P("/locked/kid"), -1)
			su.GetACL(s.P("/locked"))
			su.SetACL(s.P("/locked"), OpenACL, -1)
			su.SetData("/zookeeper/config", "", 999999) // BADVERSION, not NOAUTH: the ACL check passed (no change made)
			su.CreateACL(s.P("/bysuper"), "", AuthACL, 0)
			su.GetACL(s.P("/bysuper"))
		}},
		&Scenario{Name: "acl/delete-needs-parent", Doc: "delete needs DELETE on the parent, not on the node; create needs CREATE on the parent", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/p"), "", 0)
			a.CreateACL(s.P("/p/c"), "", []records.ACL{ACL(0, "world", "anyone")}, 0)
			a.CreateACL(s.P("/p/d"), "", ReadACL, 0)
			a.SetACL(s.P("/p"), []records.ACL{ACL(wire.PermAll&^wire.PermDelete, "world", "anyone")}, -1)
			a.Delete(s.P("/p/c"), -1)
			a.Create(s.P("/p/e"), "", 0)
			a.SetACL(s.P("/p"), []records.ACL{ACL(wire.PermDelete, "world", "anyone")}, -1)
			a.Delete(s.P("/p/c"), -1)
			a.Delete(s.P("/p/nonexistent"), -1)
			a.Create(s.P("/p/f"), "", 0)
			a.Delete(s.P("/p/d"), 5)
			a.Delete(s.P("/p/d"), -1)
		}},
		&Scenario{Name: "acl/exists-watch-noauth", Doc: "exists/getData on a node without READ, with a watch: NOAUTH or not, and whether the watch was set", Run: func(s *S) {
			a := s.Connect("a")
			b := s.Connect("b")
			a.Create(s.P(""), "", 0)
			a.CreateACL(s.P("/w"), "", []records.ACL{ACL(wire.PermWrite, "world", "anyone")}, 0)
			b.Exists(s.P("/w"), true)
			b.GetData(s.P("/w"), true)
			b.GetChildren(s.P("/w"), true)
			a.SetData(s.P("/w"), "changed", -1)
			b.Sync()
		}},
		&Scenario{Name: "auth/bad-scheme", Doc: "auth with an unknown scheme: AUTHFAILED, then the server closes the connection; the session survives", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/e"), "", wire.ModeEphemeral)
			a.Auth("nosuchscheme", "x")
			a.GetData(s.P(""), false)
			r := s.Resume("a2", a)
			r.Exists(s.P("/e"), false)
			r.WhoAmI()
			w := s.Connect("w")
			w.Auth("world", "anyone")
			x := s.Connect("x")
			x.Auth("auth", "")
			y := s.Connect("y")
			y.Auth("super", "")
		}},
		&Scenario{Name: "auth/digest-forms", Doc: "digest auth data without a colon, empty, with several colons; auth type field other than 0", Run: func(s *S) {
			a := s.Connect("a")
			a.Auth("digest", "nocolon")
			a.WhoAmI()
			b := s.Connect("b")
			b.Auth("digest", "")
			b.WhoAmI()
			c := s.Connect("c")
			c.Auth("digest", "u:p:q")
			c.WhoAmI()
			d := s.Connect("d")
			d.Do(wire.XidAuth, wire.OpAuth, &records.AuthPacket{Type: 7, Scheme: "digest", Auth: []byte("t:t")})
			d.WhoAmI()
			e := s.Connect("e")
			e.Do(wire.XidAuth, wire.OpAuth, &records.AuthPacket{Scheme: "digest", Auth: nil})
			e.WhoAmI()
		}},
		&Scenario{Name: "auth/ip-scheme", Doc: "auth packets with the ip scheme", Run: func(s *S) {
			a := s.Connect("a")
			a.Auth("ip", "127.0.0.1")
			a.WhoAmI()
			b := s.Connect("b")
			b.Auth("ip", "10.9.8.7")
			b.WhoAmI()
		}},
		&Scenario{Name: "auth/xids", Doc: "auth sent with a normal xid, and a normal request sent with the auth xid", Run: func(s *S) {
			a := s.Connect("a")
			a.Send(5, wire.OpAuth, &records.AuthPacket{Scheme: "digest", Auth: []byte("alice:pw")})
			a.Sync()
			a.WhoAmI()
			a.Do(wire.XidAuth, wire.OpWhoAmI, nil)
			a.Sync()
		}},
	)
}
