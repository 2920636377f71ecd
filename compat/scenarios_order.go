package compat

import (
	"fmt"

	"github.com/zkgo/zkgo/compat/zkwire"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// Ordering scenarios: per-session FIFO under pipelining, zxids consumed by failed writes, the
// zxid reads report, notifications before later replies. (Every scenario also checks FIFO and
// notification order on every connection; violations show as "!!" lines.)

func createReq(path string, flags int32) *records.CreateRequest {
	return &records.CreateRequest{Path: path, ACL: OpenACL, Flags: flags}
}

func getDataReq(path string) *records.GetDataRequest {
	return &records.GetDataRequest{Path: path}
}

func init() {
	register(
		&Scenario{Name: "order/pipeline-fifo", Doc: "60 mixed reads and writes in one write: replies in request order, reads see the writes before them", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			var reqs []zkwire.Request
			xid := int32(100)
			for i := range 12 {
				p := s.P(fmt.Sprintf("/n%d", i))
				reqs = append(reqs,
					zkwire.Request{Xid: xid, Op: wire.OpCreate, Record: createReq(p, 0)},
					zkwire.Request{Xid: xid + 1, Op: wire.OpGetData, Record: getDataReq(p)},
					zkwire.Request{Xid: xid + 2, Op: wire.OpSetData, Record: &records.SetDataRequest{Path: p, Data: []byte("v"), Version: 0}},
					zkwire.Request{Xid: xid + 3, Op: wire.OpExists, Record: &records.ExistsRequest{Path: p}},
					zkwire.Request{Xid: xid + 4, Op: wire.OpGetChildren, Record: &records.GetChildrenRequest{Path: s.P("")}},
				)
				xid += 5
			}
			a.Pipeline(reqs...)
		}},
		&Scenario{Name: "order/pipeline-watch", Doc: "pipelined watch, write and read on one session: the notification lands before the write's reply", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/n"), "", 0)
			a.Pipeline(
				zkwire.Request{Xid: 1, Op: wire.OpGetData, Record: &records.GetDataRequest{Path: s.P("/n"), Watch: true}},
				zkwire.Request{Xid: 2, Op: wire.OpSetData, Record: &records.SetDataRequest{Path: s.P("/n"), Data: []byte("x"), Version: -1}},
				zkwire.Request{Xid: 3, Op: wire.OpGetData, Record: &records.GetDataRequest{Path: s.P("/n"), Watch: true}},
				zkwire.Request{Xid: 4, Op: wire.OpDelete, Record: &records.DeleteRequest{Path: s.P("/n"), Version: -1}},
				zkwire.Request{Xid: 5, Op: wire.OpExists, Record: &records.ExistsRequest{Path: s.P("/n"), Watch: true}},
				zkwire.Request{Xid: 6, Op: wire.OpCreate, Record: createReq(s.P("/n"), 0)},
			)
		}},
		&Scenario{Name: "order/failed-writes-zxid", Doc: "every failed write consumes a zxid (gaps in the next success), reads and pings do not", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Create(s.P(""), "", 0)
			a.Create(s.P("/ok1"), "", 0)
			a.Delete(s.P("/none"), -1)
			a.SetData(s.P("/none"), "", -1)
			a.SetACL(s.P("/none"), OpenACL, -1)
			a.Create(s.P("/ok2"), "", 0)
			a.GetData(s.P("/ok2"), false)
			a.Exists(s.P("/none"), false)
			a.Ping()
			a.SyncPath(s.P(""))
			a.Create(s.P("/ok3"), "", 0)
			a.Create("bad", "", 0)
			a.CreateACL(s.P("/badacl"), "", []records.ACL{}, 0)
			a.Create(s.P("/ok4"), "", 0)
			a.CheckWatches(s.P(""), wire.WatcherData)
			a.Create(s.P("/ok5"), "", 0)
		}},
		&Scenario{Name: "order/cross-session", Doc: "a write by one session is visible to the next read of another, with a reply zxid at least the write's", Run: func(s *S) {
			a := s.Connect("a")
			b := s.Connect("b")
			a.Create(s.P(""), "", 0)
			for i := range 5 {
				p := s.P(fmt.Sprintf("/k%d", i))
				a.Create(p, "", 0)
				b.GetData(p, true)
				a.SetData(p, "x", -1)
				b.Exists(p, false)
			}
		}},
		&Scenario{Name: "order/pipeline-sync", Doc: "sync in a pipeline is answered in order with the writes and reads around it", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Pipeline(
				zkwire.Request{Xid: 1, Op: wire.OpCreate, Record: createReq(s.P("/a"), 0)},
				zkwire.Request{Xid: 2, Op: wire.OpSync, Record: &records.SyncRequest{Path: s.P("/a")}},
				zkwire.Request{Xid: 3, Op: wire.OpGetData, Record: getDataReq(s.P("/a"))},
				zkwire.Request{Xid: 4, Op: wire.OpSync, Record: &records.SyncRequest{Path: s.P("/none")}},
				zkwire.Request{Xid: 5, Op: wire.OpDelete, Record: &records.DeleteRequest{Path: s.P("/a"), Version: -1}},
				zkwire.Request{Xid: 6, Op: wire.OpSync, Record: &records.SyncRequest{Path: s.P("")}},
			)
		}},
		&Scenario{Name: "order/many-children", Doc: "300 pipelined sequential creates, then the full child list and counts", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			var reqs []zkwire.Request
			for i := range 300 {
				reqs = append(reqs, zkwire.Request{Xid: int32(10 + i), Op: wire.OpCreate, Record: &records.CreateRequest{
					Path: s.P("/child-"), Data: []byte("some data"), ACL: OpenACL, Flags: wire.ModePersistentSequential}})
			}
			s.Quiet(true)
			a.Pipeline(reqs...)
			s.Quiet(false)
			a.GetChildren2(s.P(""), false)
			a.GetAllChildrenNumber(s.P(""))
		}},
		&Scenario{Name: "order/xid-values", Doc: "the server echoes any xid: repeated, zero, negative, maximum", Run: func(s *S) {
			a := s.Connect("a")
			a.Create(s.P(""), "", 0)
			a.Pipeline(
				zkwire.Request{Xid: 5, Op: wire.OpExists, Record: &records.ExistsRequest{Path: s.P("")}},
				zkwire.Request{Xid: 5, Op: wire.OpExists, Record: &records.ExistsRequest{Path: s.P("")}},
				zkwire.Request{Xid: 0, Op: wire.OpExists, Record: &records.ExistsRequest{Path: s.P("")}},
				zkwire.Request{Xid: -100, Op: wire.OpExists, Record: &records.ExistsRequest{Path: s.P("")}},
				zkwire.Request{Xid: 2147483647, Op: wire.OpCreate, Record: createReq(s.P("/m"), 0)},
				zkwire.Request{Xid: 3, Op: wire.OpExists, Record: &records.ExistsRequest{Path: s.P("/m")}},
			)
		}},
	)
}
