package zab

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestScenarios runs testdata/*.txt. Verbs:
//
//	leader id= voters=1,2,3 accepted= current= zxid= [log=z1,z2,...] [init=] [sync=]
//	                       start a leader core (log: its committed-log window)
//	learner id= leader= accepted= current= zxid= [observer] [init=] [sync=]
//	                       start a learner core (it sends FOLLOWERINFO/OBSERVERINFO)
//	deliver [from=] [to=] [count=]   deliver the matching messages in flight, in order
//	drop [from=] [to=]     lose the matching messages in flight
//	stabilize              deliver until nothing is in flight
//	tick [id...] [n=]      advance the clocks of these (default: all) cores
//	propose [data=]        the leader proposes a txn
//	send from= to= type= [zxid=] [epoch=]   deliver a hand-made packet (from a mock peer)
//	stop <id>...           the core is gone: messages to it are lost
//	choose-sync peer= last= [window=z1,z2,...]   print ChooseSync's plan
//	status / net           print every core's state / the messages in flight
//
// The output is the trace of each Ready: "<id> <action>" and "from->to TYPE zxid" messages
// (those that waited for the fsync are marked "after-sync"). Run with -rewrite to refresh.
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		h := &harness{cores: map[int64]core{}}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			h.out.Reset()
			if err := h.run(d); err != nil {
				d.Fatalf(t, "%v", err)
			}
			return h.out.String()
		})
	})
}

type core interface {
	Step(Message)
	Tick()
	Ready() Ready
	Advance()
}

type harness struct {
	cores  map[int64]core
	leader *Leader
	net    []Message
	out    strings.Builder
	seq    int
}

func (h *harness) logf(format string, args ...any) { fmt.Fprintf(&h.out, format+"\n", args...) }

func (h *harness) ids() []int64 {
	var ids []int64
	for id := range h.cores {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// collect prints a core's Ready, puts its messages in flight and advances it.
func (h *harness) collect(id int64) {
	c := h.cores[id]
	if c == nil {
		return
	}
	rd := c.Ready()
	if rd.Truncate >= 0 {
		h.logf("%d truncate %s", id, Hex(rd.Truncate))
	}
	if rd.Snap >= 0 {
		h.logf("%d snap %s", id, Hex(rd.Snap))
	}
	for _, e := range rd.Append {
		h.logf("%d append %s", id, Hex(e.Zxid))
	}
	if rd.AcceptedEpoch >= 0 {
		h.logf("%d acceptedEpoch=%d", id, rd.AcceptedEpoch)
	}
	if rd.CurrentEpoch >= 0 {
		h.logf("%d currentEpoch=%d", id, rd.CurrentEpoch)
	}
	for _, e := range rd.Commit {
		h.logf("%s", strings.TrimSpace(fmt.Sprintf("%d commit %s %s", id, Hex(e.Zxid), e.Data)))
	}
	for _, m := range rd.Messages {
		h.logf("%s", m)
	}
	if rd.MustSync {
		h.logf("%d fsync", id)
	}
	for _, m := range rd.AfterSync {
		h.logf("%s (after-sync)", m)
	}
	h.net = append(h.net, rd.Messages...)
	h.net = append(h.net, rd.AfterSync...)
	for _, sid := range rd.Disconnect {
		h.logf("%d disconnect %d", id, sid)
	}
	if rd.Serving {
		h.logf("%d serving", id)
	}
	if rd.Done != nil {
		h.logf("%d done: %v", id, rd.Done)
	}
	c.Advance()
	if rd.MustSync || len(rd.Append) > 0 {
		h.collect(id) // what the fsync released (the leader's own acks)
	}
}

func (h *harness) deliver(m Message) {
	c := h.cores[m.To]
	if c == nil {
		return
	}
	c.Step(m)
	h.collect(m.To)
}

func (h *harness) run(d *datadriven.TestData) error {
	switch d.Cmd {
	case "leader":
		id := argInt(d, "id", 1)
		l := NewLeader(LeaderConfig{ID: id, Voters: argList(d, "voters"), InitLimit: int(argInt(d, "init", 10)),
			SyncLimit: int(argInt(d, "sync", 5))}, LeaderState{AcceptedEpoch: argInt(d, "accepted", 0),
			CurrentEpoch: argInt(d, "current", 0), LastZxid: argInt(d, "zxid", 0), Committed: entries(argList(d, "log"))})
		h.cores[id], h.leader = l, l
		h.collect(id)
	case "learner":
		id := argInt(d, "id", 0)
		l := NewLearner(LearnerConfig{ID: id, Leader: argInt(d, "leader", 1), Observer: d.HasArg("observer"),
			InitLimit: int(argInt(d, "init", 10)), SyncLimit: int(argInt(d, "sync", 5))},
			LearnerState{AcceptedEpoch: argInt(d, "accepted", 0), CurrentEpoch: argInt(d, "current", 0), LastZxid: argInt(d, "zxid", 0)})
		h.cores[id] = l
		h.collect(id)
	case "deliver", "drop":
		from, to, count := argInt(d, "from", -1), argInt(d, "to", -1), argInt(d, "count", -1)
		var picked, rest []Message
		for _, m := range h.net {
			if (from < 0 || m.From == from) && (to < 0 || m.To == to) && (count < 0 || int64(len(picked)) < count) {
				picked = append(picked, m)
			} else {
				rest = append(rest, m)
			}
		}
		h.net = rest
		if d.Cmd == "drop" {
			h.logf("dropped %d", len(picked))
			return nil
		}
		for _, m := range picked {
			h.deliver(m)
		}
	case "stabilize":
		for i := 0; len(h.net) > 0; i++ {
			if i > 10000 {
				return fmt.Errorf("stabilize: %d messages still in flight", len(h.net))
			}
			m := h.net[0]
			h.net = h.net[1:]
			h.deliver(m)
		}
	case "tick":
		ids := argIDs(d)
		if len(ids) == 0 {
			ids = h.ids()
		}
		for range argInt(d, "n", 1) {
			for _, id := range ids {
				if c := h.cores[id]; c != nil {
					c.Tick()
					h.collect(id)
				}
			}
		}
	case "propose":
		if h.leader == nil {
			return fmt.Errorf("propose: no leader")
		}
		h.seq++
		data := argString(d, "data", fmt.Sprintf("txn%d", h.seq))
		z, err := h.leader.Propose([]byte(data))
		if err != nil {
			h.logf("propose: %v", err)
			return nil
		}
		h.logf("proposed %s %s", Hex(z), data)
		h.collect(h.leader.cfg.ID)
	case "reconfig":
		if h.leader == nil {
			return fmt.Errorf("reconfig: no leader")
		}
		h.seq++
		data := argString(d, "data", fmt.Sprintf("reconfig%d", h.seq))
		z, err := h.leader.ProposeReconfig([]byte(data), argList(d, "voters"), d.HasArg("stays"))
		if err != nil {
			h.logf("reconfig: %v", err)
			return nil
		}
		h.logf("proposed reconfig %s %s", Hex(z), data)
		h.collect(h.leader.cfg.ID)
	case "send":
		t, err := parseType(argString(d, "type", ""))
		if err != nil {
			return err
		}
		m := Message{From: argInt(d, "from", 0), To: argInt(d, "to", 0), Type: t, Zxid: argInt(d, "zxid", 0), Epoch: argInt(d, "epoch", 0)}
		h.deliver(m)
		// Replies to a mock peer are dropped.
		h.net = slices.DeleteFunc(h.net, func(m Message) bool { return h.cores[m.To] == nil })
	case "stop":
		for _, id := range argIDs(d) {
			delete(h.cores, id)
			h.net = slices.DeleteFunc(h.net, func(m Message) bool { return m.To == id || m.From == id })
			h.logf("%d stopped", id)
		}
	case "choose-sync":
		h.logf("%s", ChooseSync(argInt(d, "peer", 0), argInt(d, "last", 0), argList(d, "window")))
	case "status":
		for _, id := range h.ids() {
			switch c := h.cores[id].(type) {
			case *Leader:
				h.logf("%d: leader epoch=%d established=%t lastCommitted=%s outstanding=%d done=%v", id, c.newEpoch, c.established, Hex(c.lastCommitted), len(c.outstanding), c.done)
			case *Learner:
				h.logf("%d: learner epoch=%d synced=%t lastLogged=%s lastCommitted=%s done=%v", id, c.newEpoch, c.Synced(), Hex(c.lastLogged), Hex(c.lastCommitted), c.done)
			}
		}
	case "net":
		for _, m := range h.net {
			h.logf("%s", m)
		}
	default:
		return fmt.Errorf("unknown verb %q", d.Cmd)
	}
	return nil
}

func entries(zxids []int64) []Entry {
	var es []Entry
	for _, z := range zxids {
		es = append(es, Entry{Zxid: z, Data: []byte("old")})
	}
	return es
}

func parseType(s string) (MsgType, error) {
	for t, name := range msgNames {
		if name == s {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown packet type %q", s)
}

func argIDs(d *datadriven.TestData) []int64 {
	var ids []int64
	for _, a := range d.CmdArgs {
		if len(a.Vals) == 0 {
			if id, err := strconv.ParseInt(a.Key, 10, 64); err == nil {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

func argString(d *datadriven.TestData, key, def string) string {
	for _, a := range d.CmdArgs {
		if a.Key == key && len(a.Vals) > 0 {
			return strings.Join(a.Vals, ",")
		}
	}
	return def
}

func argInt(d *datadriven.TestData, key string, def int64) int64 {
	s := argString(d, key, "")
	if s == "" {
		return def
	}
	v, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		panic(fmt.Sprintf("%s: %s=%q: %v", d.Pos, key, s, err))
	}
	return v
}

func argList(d *datadriven.TestData, key string) []int64 {
	var vs []int64
	for _, f := range strings.Split(argString(d, key, ""), ",") {
		if f == "" {
			continue
		}
		v, err := strconv.ParseInt(f, 0, 64)
		if err != nil {
			panic(fmt.Sprintf("%s: %s: %q: %v", d.Pos, key, f, err))
		}
		vs = append(vs, v)
	}
	return vs
}
