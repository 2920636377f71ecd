package compat

import (
	"strings"

	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// Node scenarios: every create variant and node type, delete, get/set data, exists,
// children, Stat rules, paths, the /zookeeper subtree.

func init() {
	register(
		&Scenario{Name: "create/persistent", Doc: "create (1): reply path, data and stat read back, NODEEXISTS, NONODE for a missing parent", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "root", 0)
			a.Create(s.P("/n"), "hello", 0)
			a.GetData(s.P("/n"), false)
			a.Exists(s.P("/n"), false)
			a.Create(s.P("/n"), "again", 0)
			a.Create(s.P("/missing/child"), "", 0)
			a.GetData(s.P(""), false)
			a.Create(s.P("/n/deeper"), "x", 0)
			a.GetChildren2(s.P("/n"), false)
		}},
		&Scenario{Name: "create/create2", Doc: "create2 (15) returns the new node's stat; parent cversion, pzxid and numChildren move", Run: func(s *S) {
			a := s.Connect("a")
			a.Create2(s.P(""), "", 0)
			a.Create2(s.P("/a"), "data-a", 0)
			a.Create2(s.P("/b"), "", 0)
			a.Exists(s.P(""), false)
			a.Create2(s.P("/a"), "", 0)
			a.Create2(s.P("/x/y"), "", 0)
			a.Create2(s.P("/e"), "eph", wire.ModeEphemeral)
			a.Create2(s.P("/s-"), "seq", wire.ModePersistentSequential)
		}},
		&Scenario{Name: "create/data-null-empty-large", Doc: "null data, empty data, binary data and data near jute.maxbuffer", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Call(wire.OpCreate, &records.CreateRequest{Path: s.P("/null"), Data: nil, ACL: OpenACL})
			a.GetData(s.P("/null"), false)
			a.Call(wire.OpCreate, &records.CreateRequest{Path: s.P("/empty"), Data: []byte{}, ACL: OpenACL})
			a.GetData(s.P("/empty"), false)
			a.Call(wire.OpCreate, &records.CreateRequest{Path: s.P("/bin"), Data: []byte{0, 1, 2, 0xff, 0xfe}, ACL: OpenACL})
			a.GetData(s.P("/bin"), false)
			big := strings.Repeat("z", 1000000)
			a.Create(s.P("/big"), big, 0)
			a.GetData(s.P("/big"), false)
			a.SetData(s.P("/null"), "", -1)
			a.GetData(s.P("/null"), false)
			a.Call(wire.OpSetData, &records.SetDataRequest{Path: s.P("/empty"), Data: nil, Version: -1})
			a.GetData(s.P("/empty"), false)
		}},
		&Scenario{Name: "create/sequential", Doc: "sequential suffix is %010d of the parent's cversion, which counts creates of any child", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/q-"), "", wire.ModePersistentSequential)
			a.Create(s.P("/q-"), "", wire.ModePersistentSequential)
			a.Create(s.P("/plain"), "", 0)
			a.Create(s.P("/q-"), "", wire.ModePersistentSequential)
			a.Delete(s.P("/plain"), -1)
			a.Create(s.P("/q-"), "", wire.ModePersistentSequential)
			a.Create(s.P("/"), "", wire.ModePersistentSequential)
			a.Create(s.P("/e-"), "", wire.ModeEphemeralSequential)
			a.Create2(s.P("/c2-"), "", wire.ModePersistentSequential)
			a.Create(s.P("/q-0000000000"), "", 0)
			a.GetChildren2(s.P(""), false)
			a.Create(s.P("/sub"), "", 0)
			a.Create(s.P("/sub/"), "", wire.ModePersistentSequential)
			a.GetChildren(s.P("/sub"), false)
		}},
		&Scenario{Name: "create/sequential-collision", Doc: "a sequential create whose generated name exists fails NODEEXISTS (the check is after the suffix)", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/x0000000001"), "", 0)
			a.Create(s.P("/x"), "", wire.ModePersistentSequential)
			a.Create(s.P("/x"), "", wire.ModePersistentSequential)
			a.GetChildren2(s.P(""), false)
		}},
		&Scenario{Name: "create/ephemeral", Doc: "ephemeral owner, NOCHILDRENFOREPHEMERALS, getEphemerals, removal when the owner closes", Run: func(s *S) {
			a := s.Connect("a")
			b := s.Connect("b")
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/e"), "mine", wire.ModeEphemeral)
			a.Exists(s.P("/e"), false)
			a.Create(s.P("/e/child"), "", 0)
			a.Create(s.P("/e/child"), "", wire.ModeEphemeral)
			a.Create(s.P("/e/seq-"), "", wire.ModePersistentSequential)
			b.Create(s.P("/f"), "", wire.ModeEphemeral)
			a.GetEphemerals(s.P(""))
			b.GetEphemerals(s.P(""))
			b.GetData(s.P("/e"), true)
			b.GetChildren(s.P(""), true)
			a.CloseSession()
			b.Exists(s.P("/e"), false)
			b.GetChildren(s.P(""), false)
		}},
		&Scenario{Name: "create/container", Doc: "createContainer (19): stat owner 0; create (1)/create2 (15) with the container flag; children", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.CreateContainer(s.P("/c"), "box")
			a.Exists(s.P("/c"), false)
			a.Create(s.P("/c/kid"), "", 0)
			a.Create(s.P("/c1"), "", wire.ModeContainer)
			a.Create2(s.P("/c2"), "", wire.ModeContainer)
			a.Call(wire.OpCreateContainer, &records.CreateRequest{Path: s.P("/c3"), ACL: OpenACL, Flags: 0})
			a.Call(wire.OpCreateContainer, &records.CreateRequest{Path: s.P("/c4"), ACL: OpenACL, Flags: wire.ModeEphemeral})
			a.Create(s.P("/c/e"), "", wire.ModeEphemeral)
			a.GetChildren2(s.P("/c"), false)
			a.Delete(s.P("/c/kid"), -1)
			a.Delete(s.P("/c/e"), -1)
			a.Exists(s.P("/c"), false)
			a.Delete(s.P("/c"), -1)
			a.GetChildren(s.P(""), false)
		}},
		&Scenario{Name: "create/ttl", Needs: NeedsExtendedTypes, Doc: "createTTL (21): stat owner 0, ttl bounds, flags that are not TTL modes, TTL flags on other opcodes", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.CreateTTL(s.P("/t"), "ttl", wire.ModePersistentWithTTL, 3600000)
			a.Exists(s.P("/t"), false)
			a.CreateTTL(s.P("/ts-"), "", wire.ModePersistentSequentialWithTTL, 3600000)
			a.CreateTTL(s.P("/zero"), "", wire.ModePersistentWithTTL, 0)
			a.CreateTTL(s.P("/neg"), "", wire.ModePersistentWithTTL, -5)
			a.CreateTTL(s.P("/max"), "", wire.ModePersistentWithTTL, 1<<40-1)
			a.CreateTTL(s.P("/over"), "", wire.ModePersistentWithTTL, 1<<40)
			a.CreateTTL(s.P("/plainflag"), "", wire.ModePersistent, 1000)
			a.CreateTTL(s.P("/ephflag"), "", wire.ModeEphemeral, 1000)
			a.CreateTTL(s.P("/contflag"), "", wire.ModeContainer, 1000)
			a.Create(s.P("/viacreate"), "", wire.ModePersistentWithTTL)
			a.Create2(s.P("/viacreate2"), "", wire.ModePersistentSequentialWithTTL)
			a.Create(s.P("/badflag"), "", 7)
			a.Create(s.P("/negflag"), "", -1)
			a.Create(s.P("/t/child"), "", 0)
			a.GetChildren2(s.P(""), false)
			a.GetData(s.P("/max"), false)
		}},
		&Scenario{Name: "create/bad-paths", Doc: "path validation: BADARGUMENTS for every malformed path, sequential paths may end in /", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			for _, p := range []string{"", "noslash", s.P("/trail/"), s.P("//double"), s.P("/a//b"), s.P("/./x"),
				s.P("/."), s.P("/.."), s.P("/a/../b"), s.P("/nul\x00"), s.P("/ctl\x01"), s.P("/del\x7f"),
				s.P("/c1\u0085"), s.P("/bmp\ufff0"), s.P("/priv\ue000"), "/"} {
				a.Create(p, "", 0)
			}
			a.Create(s.P("/.dot"), "", 0)
			a.Create(s.P("/dots..."), "", 0)
			a.Create(s.P("/ünï©ødé"), "", 0)
			a.Create(s.P("/sp ace"), "", 0)
			a.Create(s.P("/"), "", wire.ModePersistentSequential)
			// "" reads as the root, whose stat depends on the server's history.
			s.HideStats(true)
			a.GetData("", false)
			a.Exists("", false)
			a.SetData("", "", 5)
			a.Delete("", 5)
			s.HideStats(false)
			for _, p := range []string{"rel", s.P("/trail/"), s.P("//x"), s.P("/../x")} {
				a.GetData(p, false)
				a.Exists(p, false)
				a.Delete(p, -1)
				a.SetData(p, "", -1)
				a.GetChildren(p, false)
			}
			a.GetChildren2(s.P(""), false)
		}},
		&Scenario{Name: "delete/rules", Doc: "delete (2): NONODE, BADVERSION, NOTEMPTY, version match, -1", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Delete(s.P("/none"), -1)
			a.Create(s.P("/n"), "", 0)
			a.SetData(s.P("/n"), "v1", -1)
			a.Delete(s.P("/n"), 0)
			a.Delete(s.P("/n"), 2)
			a.Delete(s.P("/n"), 1)
			a.Create(s.P("/p"), "", 0)
			a.Create(s.P("/p/c"), "", 0)
			a.Delete(s.P("/p"), -1)
			a.Delete(s.P("/p/c"), 0)
			a.Delete(s.P("/p"), -1)
			a.Exists(s.P(""), false)
			a.Delete("/", -1)
			a.Delete("/zookeeper", -1)
			a.Delete("/zookeeper/quota", -1)
			a.Delete("/zookeeper/config", -1)
		}},
		&Scenario{Name: "data/set-get", Doc: "setData (5)/getData (4): versions, BADVERSION, NONODE, dataLength, mzxid", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/d"), "one", 0)
			a.SetData(s.P("/d"), "two", 0)
			a.SetData(s.P("/d"), "three", 0)
			a.SetData(s.P("/d"), "three", 1)
			a.SetData(s.P("/d"), "four", -1)
			a.SetData(s.P("/d"), "", 5)
			a.GetData(s.P("/d"), false)
			a.SetData(s.P("/none"), "x", -1)
			a.GetData(s.P("/none"), false)
			a.SetData(s.P("/d"), "", -2)
			a.GetData(s.P(""), false)
		}},
		&Scenario{Name: "exists/basic", Doc: "exists (3): stat of a node, NONODE for a missing one", Run: func(s *S) {
			a := s.Connect("a")
			a.Exists(s.P(""), false)
			a.Create(s.P(""), "abc", 0)
			a.Exists(s.P(""), false)
			a.Exists(s.P("/no/such"), false)
			a.Exists("/zookeeper", false)
		}},
		&Scenario{Name: "children/list", Doc: "getChildren (8), getChildren2 (12): empty lists, names only, NONODE", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.GetChildren(s.P(""), false)
			a.GetChildren2(s.P(""), false)
			for _, n := range []string{"b", "a", "c", "a-1", "z"} {
				a.Create(s.P("/"+n), "", 0)
			}
			a.GetChildren(s.P(""), false)
			a.GetChildren2(s.P(""), false)
			a.GetChildren(s.P("/none"), false)
			a.GetChildren2(s.P("/none"), false)
			a.GetChildren(s.P("/a"), false)
		}},
		&Scenario{Name: "stat/cversion-pzxid", Doc: "parent stat after creates, deletes and sets of children: cversion counts both, pzxid, numChildren; mzxid and version unchanged", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/1"), "", 0)
			a.Create(s.P("/2"), "", 0)
			a.Exists(s.P(""), false)
			a.SetData(s.P("/1"), "x", -1)
			a.Exists(s.P(""), false)
			a.Delete(s.P("/1"), -1)
			a.Exists(s.P(""), false)
			a.Create(s.P("/1"), "", 0)
			a.Delete(s.P("/1"), -1)
			a.Delete(s.P("/2"), -1)
			a.Exists(s.P(""), false)
			a.Create(s.P("/seq-"), "", wire.ModePersistentSequential)
			a.GetChildren2(s.P(""), false)
			a.Create(s.P("/e"), "", wire.ModeEphemeral)
			a.Delete(s.P("/e"), -1)
			a.Exists(s.P(""), false)
		}},
		&Scenario{Name: "stat/aversion", Doc: "setACL (7): aversion counts, BADVERSION, the new stat", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/n"), "", 0)
			a.SetACL(s.P("/n"), OpenACL, 0)
			a.SetACL(s.P("/n"), OpenACL, 0)
			a.SetACL(s.P("/n"), ReadACL, 1)
			a.SetACL(s.P("/n"), OpenACL, -1)
			a.GetACL(s.P("/n"))
			a.SetACL(s.P("/none"), OpenACL, -1)
			a.GetACL(s.P("/none"))
		}},
		&Scenario{Name: "tree/zookeeper", Doc: "the /zookeeper subtree: children, config and quota nodes, their ACLs, writes into it", Run: func(s *S) {
			a := s.Connect("a")
			a.GetChildren2("/zookeeper", false)
			a.GetData("/zookeeper", false)
			a.GetAllChildrenNumber("/zookeeper")
			a.GetData("/zookeeper/config", false)
			a.GetACL("/zookeeper/config")
			// /zookeeper/quota's stat changes with every quota ever set (see tree/quota-nodes).
			s.HideStats(true)
			a.GetData("/zookeeper/quota", false)
			a.GetACL("/zookeeper/quota")
			s.HideStats(false)
			a.GetACL("/zookeeper")
			a.SetData("/zookeeper/config", "x", -1)
			a.Create("/zookeeper/config/x", "", 0)
			a.Create(s.P(""), "", 0)
		}},
		&Scenario{Name: "tree/quota-nodes", Doc: "creating quota limit nodes under /zookeeper/quota, as zkCli setquota does", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/q"), "", 0)
			a.Create("/zookeeper/quota"+s.P(""), "", 0)
			a.Create("/zookeeper/quota"+s.P("/q"), "", 0)
			a.Create("/zookeeper/quota"+s.P("/q/zookeeper_limits"), "count=10,bytes=-1", 0)
			a.Create("/zookeeper/quota"+s.P("/q/zookeeper_stats"), "count=0,bytes=0", 0)
			a.Create(s.P("/q/a"), "12345", 0)
			a.GetData("/zookeeper/quota"+s.P("/q/zookeeper_stats"), false)
			a.GetData("/zookeeper/quota"+s.P("/q/zookeeper_limits"), false)
			a.Delete("/zookeeper/quota"+s.P("/q/zookeeper_stats"), -1)
			a.Delete("/zookeeper/quota"+s.P("/q/zookeeper_limits"), -1)
			a.Delete("/zookeeper/quota"+s.P("/q"), -1)
			a.Delete("/zookeeper/quota"+s.P(""), -1)
		}},
		&Scenario{Name: "ops/getAllChildrenNumber", Doc: "getAllChildrenNumber (104) counts all descendants; NONODE", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.GetAllChildrenNumber(s.P(""))
			a.Create(s.P("/a"), "", 0)
			a.Create(s.P("/a/b"), "", 0)
			a.Create(s.P("/a/b/c"), "", 0)
			a.Create(s.P("/d"), "", wire.ModeEphemeral)
			a.GetAllChildrenNumber(s.P(""))
			a.GetAllChildrenNumber(s.P("/a"))
			a.GetAllChildrenNumber(s.P("/a/b/c"))
			a.GetAllChildrenNumber(s.P("/none"))
			a.GetAllChildrenNumber("bad")
		}},
		&Scenario{Name: "ops/getEphemerals", Doc: "getEphemerals (103): own session only, prefix matching by string, empty prefix", Run: func(s *S) {
			a := s.Connect("a")
			b := s.Connect("b")
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/x1"), "", wire.ModeEphemeral)
			a.Create(s.P("/x2"), "", wire.ModeEphemeral)
			a.Create(s.P("/y"), "", wire.ModeEphemeral)
			a.Create(s.P("/p"), "", 0)
			a.Create(s.P("/p/e"), "", wire.ModeEphemeral)
			b.Create(s.P("/b"), "", wire.ModeEphemeral)
			a.GetEphemerals(s.P("/x"))
			a.GetEphemerals(s.P("/p"))
			a.GetEphemerals(s.P(""))
			a.GetEphemerals(s.P("/none"))
			b.GetEphemerals(s.P(""))
			b.GetEphemerals("/")
			b.GetEphemerals("")
			s.Connect("c").GetEphemerals("/")
		}},
		&Scenario{Name: "ops/sync", Doc: "sync (9) answers with the path; missing and malformed paths", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.SyncPath(s.P(""))
			a.SyncPath(s.P("/none"))
			a.SyncPath("/")
			a.SyncPath("bad")
			a.SyncPath("")
		}},
		&Scenario{Name: "ops/whoAmI", Doc: "whoAmI (107) before and after digest auth, several identities", Run: func(s *S) {
			a := s.Connect("a")
			a.WhoAmI()
			a.Auth("digest", "alice:pw")
			a.WhoAmI()
			a.Auth("digest", "bob:pw2")
			a.WhoAmI()
			a.Auth("digest", "alice:pw")
			a.WhoAmI()
		}},
		&Scenario{Name: "ops/reconfig-disabled", Doc: "reconfig (16) on a standalone server without reconfigEnabled", Run: func(s *S) {
			a := s.Connect("a")
			a.Call(wire.OpReconfig, &records.ReconfigRequest{CurConfigID: -1})
			a.Call(wire.OpReconfig, &records.ReconfigRequest{JoiningServers: "server.5=127.0.0.1:1234:1235;1236", CurConfigID: -1})
			a.GetData("/zookeeper/config", false)
		}},
		&Scenario{Name: "ops/sasl-unconfigured", Doc: "sasl (102) on a server without SASL", Run: func(s *S) {
			a := s.Connect("a")
			a.Call(wire.OpSASL, &records.GetSASLRequest{Token: []byte("token")})
			a.Call(wire.OpSASL, &records.GetSASLRequest{Token: nil})
			a.WhoAmI()
		}},
	)
}
