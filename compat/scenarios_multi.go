package compat

import (
	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// Multi scenarios: result encoding of multi (14) and multiRead (22), failure encoding (0s, the
// failing code, -2s), one zxid per multi, ops that see earlier ops of the same multi, mixing
// reads and writes, malformed op lists.

func init() {
	register(
		&Scenario{Name: "multi/success", Doc: "a multi of every write op kind: result types and bodies", Needs: NeedsExtendedTypes, Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/old"), "", 0)
			a.Multi(
				MCreate(wire.OpCreate, s.P("/c1"), "one", 0),
				MCreate(wire.OpCreate2, s.P("/c2"), "two", 0),
				MCreate(wire.OpCreateContainer, s.P("/c3"), "", wire.ModeContainer),
				MCreateTTL(s.P("/c4"), "", wire.ModePersistentWithTTL, 60000),
				MCreate(wire.OpCreate, s.P("/seq-"), "", wire.ModePersistentSequential),
				MCreate(wire.OpCreate2, s.P("/eph"), "", wire.ModeEphemeral),
				MSetData(s.P("/c1"), "uno", 0),
				MCheck(s.P("/c1"), 1),
				MCheck(s.P("/c2"), -1),
				MDelete(s.P("/old"), -1),
			)
			a.GetChildren2(s.P(""), false)
			a.GetData(s.P("/c1"), false)
		}},
		&Scenario{Name: "multi/failure", Doc: "a failing op: earlier ops report 0, the failing op its code, later ops -2; nothing applied; one zxid used", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/x"), "", 0)
			a.Multi(
				MCreate(wire.OpCreate, s.P("/a"), "", 0),
				MSetData(s.P("/x"), "", 5),
				MCreate(wire.OpCreate, s.P("/b"), "", 0),
				MDelete(s.P("/x"), -1),
			)
			a.Multi(MDelete(s.P("/missing"), -1), MCreate(wire.OpCreate, s.P("/c"), "", 0))
			a.Multi(MCreate(wire.OpCreate, s.P("/d"), "", 0), MCreate(wire.OpCreate2, s.P("/d"), "", 0))
			a.Multi(MCreate(wire.OpCreate, s.P("/e"), "", 0), MCheck(s.P("/x"), 3))
			a.Multi(MCheck(s.P("/none"), -1))
			a.Multi(MCreate(wire.OpCreate, s.P("/f"), "", 0), MCreate(wire.OpCreate, s.P("/f/g/h"), "", 0), MSetData(s.P("/x"), "", -1))
			a.GetChildren2(s.P(""), false)
			a.Create(s.P("/after"), "", 0)
		}},
		&Scenario{Name: "multi/sees-own-ops", Doc: "later ops see earlier ops of the same multi: create then child, delete then re-create, versions bumped in between", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Multi(
				MCreate(wire.OpCreate, s.P("/p"), "", 0),
				MCreate(wire.OpCreate, s.P("/p/c"), "", 0),
				MSetData(s.P("/p"), "1", 0),
				MSetData(s.P("/p"), "2", 1),
				MCheck(s.P("/p"), 2),
				MDelete(s.P("/p/c"), 0),
				MCreate(wire.OpCreate2, s.P("/p/c"), "again", 0),
				MCreate(wire.OpCreate, s.P("/p/s-"), "", wire.ModePersistentSequential),
			)
			a.GetChildren2(s.P("/p"), false)
			a.Multi(MDelete(s.P("/p/c"), -1), MDelete(s.P("/p/s-0000000002"), -1), MDelete(s.P("/p"), -1))
			a.Multi(MCreate(wire.OpCreate, s.P("/e"), "", wire.ModeEphemeral), MCreate(wire.OpCreate, s.P("/e/c"), "", 0))
		}},
		&Scenario{Name: "multi/acl-and-bad-args", Doc: "per-op NOAUTH, INVALIDACL, BADARGUMENTS inside a multi", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.CreateACL(s.P("/ro"), "", ReadACL, 0)
			a.Multi(MCreate(wire.OpCreate, s.P("/ok"), "", 0), MSetData(s.P("/ro"), "", -1))
			a.Multi(MCreate(wire.OpCreate, s.P("/ok"), "", 0), wire.MultiOp{Op: wire.OpCreate, Record: &records.CreateRequest{Path: s.P("/bad"), ACL: []records.ACL{}}})
			a.Multi(MCreate(wire.OpCreate, s.P("/ok"), "", 0), MCreate(wire.OpCreate, "bad", "", 0))
			a.Multi(MCreate(wire.OpCreate, s.P("/ok"), "", 0), MCreateTTL(s.P("/ttl"), "", wire.ModePersistentWithTTL, 0))
			a.Multi(MCreate(wire.OpCreate, s.P("/ok"), "", 0), MCreate(wire.OpCreate, s.P("/ro/kid"), "", 0))
			a.GetChildren(s.P(""), false)
		}},
		&Scenario{Name: "multi/empty-and-mixed", Doc: "an empty multi, read ops inside multi (14), write ops inside multiRead (22), an empty multiRead", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Multi()
			a.MultiRead()
			a.Multi(MCreate(wire.OpCreate, s.P("/w"), "", 0), MGetData(s.P("")))
			a.GetChildren(s.P(""), false)
			b := s.Connect("b")
			b.MultiRead(MGetData(s.P("")), MCreate(wire.OpCreate, s.P("/r"), "", 0))
			b.GetChildren(s.P(""), false)
		}},
		&Scenario{Name: "multi/read", Doc: "multiRead (22): getData and getChildren results, per-op errors (NONODE, NOAUTH), watches not set", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/a"), "A", 0)
			a.Create(s.P("/a/x"), "", 0)
			a.Create(s.P("/a/y"), "", 0)
			a.CreateACL(s.P("/locked"), "", []records.ACL{ACL(wire.PermWrite, "world", "anyone")}, 0)
			a.MultiRead(
				MGetData(s.P("/a")),
				MGetChildren(s.P("/a")),
				MGetData(s.P("/missing")),
				MGetChildren(s.P("/missing")),
				MGetData(s.P("/locked")),
				MGetChildren(s.P("/a/x")),
				MGetData("bad"),
			)
			a.MultiRead(
				wire.MultiOp{Op: wire.OpGetData, Record: &records.GetDataRequest{Path: s.P("/a"), Watch: true}},
				wire.MultiOp{Op: wire.OpGetChildren, Record: &records.GetChildrenRequest{Path: s.P("/a"), Watch: true}},
			)
			a.SetData(s.P("/a"), "B", -1)
			a.Create(s.P("/a/z"), "", 0)
			a.Sync()
		}},
		&Scenario{Name: "multi/malformed", Doc: "multi op lists the server cannot take: unknown op type, a header claiming done early, a truncated op", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			create := &records.CreateRequest{Path: s.P("/m"), ACL: OpenACL}
			bad := (&records.MultiHeader{Type: 99, Done: false, Err: -1}).Append(nil)
			bad = create.Append(bad)
			bad = (&records.MultiHeader{Type: -1, Done: true, Err: -1}).Append(bad)
			a.Call(wire.OpMulti, RawBody(bad))
			b := s.Connect("b")
			noEnd := (&records.MultiHeader{Type: int32(wire.OpCreate), Done: false, Err: -1}).Append(nil)
			noEnd = create.Append(noEnd)
			b.Call(wire.OpMulti, RawBody(noEnd))
			c := s.Connect("c")
			trunc := (&records.MultiHeader{Type: int32(wire.OpCreate), Done: false, Err: -1}).Append(nil)
			trunc = append(trunc, create.Append(nil)[:6]...)
			c.Call(wire.OpMulti, RawBody(trunc))
			d := s.Connect("d")
			doneFirst := (&records.MultiHeader{Type: int32(wire.OpCreate), Done: true, Err: -1}).Append(nil)
			doneFirst = create.Append(doneFirst)
			d.Call(wire.OpMulti, RawBody(doneFirst))
			d.GetChildren(s.P(""), false)
			e := s.Connect("e")
			e.Call(wire.OpMulti, RawBody(jute.AppendInt(nil, 0)))
		}},
	)
}
