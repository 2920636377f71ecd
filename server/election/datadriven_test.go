package election

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/zkgo/zkgo/wire"
)

// TestScenarios runs testdata/*.txt. Verbs:
//
//	add-servers            one line per server: "<sid> zxid=<hex> epoch=<n> [observer]"
//	start <sid>...         boot the servers (fresh processes) and start their elections
//	deliver [from=] [to=] [count=]   deliver the matching messages in flight (in order); what
//	                       they cause is queued behind
//	drop [from=] [to=]     lose the matching messages in flight
//	stabilize              deliver until nothing is in flight (no time passes)
//	tick [sid...] [n=]     advance the clocks of the given (default: all running) servers
//	isolate <sid>... / heal   lose every message from or to these servers from now on / no more
//	crash <sid>            stop a server; messages from and to it are lost
//	restart <sid> [zxid=] [epoch=]   boot a crashed server again and start its election
//	look <sid>             a running server looks for a leader again (its role ended)
//	send from= to= state= leader= zxid= round= epoch= [version=]   deliver a hand-made
//	                       notification from a mock peer (its reply is dropped)
//	status / net           print every server's state / the messages in flight
//
// The output is the trace of messages sent ("from->to STATE (leader, zxid, peerEpoch) round=")
// and decisions. Run with -rewrite to refresh the files.
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		c := newCluster()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			var out strings.Builder
			c.trace = &out
			defer func() { c.trace = nil }()
			if err := runVerb(c, d); err != nil {
				d.Fatalf(t, "%v", err)
			}
			return out.String()
		})
	})
}

func runVerb(c *cluster, d *datadriven.TestData) error {
	switch d.Cmd {
	case "add-servers":
		for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
			f := strings.Fields(line)
			id, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return fmt.Errorf("add-servers: %q: %v", line, err)
			}
			var p Proposal
			observer := false
			for _, kv := range f[1:] {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "zxid":
					p.LastZxid, err = strconv.ParseInt(v, 0, 64)
				case "epoch":
					p.CurrentEpoch, err = strconv.ParseInt(v, 0, 64)
				case "observer":
					observer = true
				default:
					err = fmt.Errorf("unknown key %q", k)
				}
				if err != nil {
					return fmt.Errorf("add-servers: %q: %v", line, err)
				}
			}
			c.add(id, observer, p)
		}
	case "start":
		for _, id := range argIDs(d) {
			c.start(id)
		}
	case "deliver", "drop":
		from, to, count := argInt(d, "from", -1), argInt(d, "to", -1), argInt(d, "count", -1)
		var picked, rest []envelope
		for _, m := range c.net {
			if (from < 0 || m.from == from) && (to < 0 || m.to == to) && (count < 0 || int64(len(picked)) < count) {
				picked = append(picked, m)
			} else {
				rest = append(rest, m)
			}
		}
		c.net = rest
		if d.Cmd == "drop" {
			c.logf("dropped %d", len(picked))
			return nil
		}
		for _, m := range picked {
			c.deliver(m, 0)
		}
	case "stabilize":
		for i := 0; len(c.net) > 0; i++ {
			if i > 100000 {
				return fmt.Errorf("stabilize: still %d messages in flight", len(c.net))
			}
			m := c.net[0]
			c.net = c.net[1:]
			c.deliver(m, 0)
		}
	case "tick":
		ids := argIDs(d)
		if len(ids) == 0 {
			ids = c.ids()
		}
		for range argInt(d, "n", 1) {
			for _, id := range ids {
				c.tick(id, 0)
			}
		}
	case "isolate":
		for _, id := range argIDs(d) {
			c.isolated[id] = true
		}
	case "heal":
		clear(c.isolated)
	case "crash":
		for _, id := range argIDs(d) {
			c.crash(id)
		}
	case "restart":
		for _, id := range argIDs(d) {
			n := c.nodes[id]
			n.prop.LastZxid = argInt(d, "zxid", n.prop.LastZxid)
			n.prop.CurrentEpoch = argInt(d, "epoch", n.prop.CurrentEpoch)
			c.start(id)
		}
	case "look":
		for _, id := range argIDs(d) {
			c.look(id, 0)
		}
	case "send":
		state, err := parseState(argString(d, "state", "LOOKING"))
		if err != nil {
			return err
		}
		n := wire.Notification{State: state, Leader: argInt(d, "leader", 0), Zxid: argInt(d, "zxid", 0),
			ElectionEpoch: argInt(d, "round", 0), PeerEpoch: argInt(d, "epoch", 0), Version: int32(argInt(d, "version", 2))}
		c.deliver(envelope{from: argInt(d, "from", 0), to: argInt(d, "to", 0), n: n}, 0)
		c.net = slices.DeleteFunc(c.net, func(m envelope) bool { return c.nodes[m.to] == nil })
	case "status":
		c.logf("%s", strings.TrimRight(c.status(), "\n"))
	case "net":
		for _, m := range c.net {
			c.logf("%d->%d %s", m.from, m.to, fmtNotification(m.n))
		}
	default:
		return fmt.Errorf("unknown verb %q", d.Cmd)
	}
	return nil
}

func parseState(s string) (wire.ServerState, error) {
	for st := wire.Looking; st <= wire.Observing; st++ {
		if st.String() == s {
			return st, nil
		}
	}
	return 0, fmt.Errorf("unknown state %q", s)
}

// argIDs are the bare (valueless) numeric arguments.
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
			return a.Vals[0]
		}
	}
	return def
}

func argInt(d *datadriven.TestData, key string, def int64) int64 {
	s := argString(d, key, "")
	if s == "" {
		return def
	}
	if s == "MIN" {
		return minLong
	}
	v, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		panic(fmt.Sprintf("%s: %s=%q: %v", d.Pos, key, s, err))
	}
	return v
}
