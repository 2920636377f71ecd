package election

import (
	"fmt"
	"slices"
	"strings"

	"github.com/zkgo/zkgo/wire"
)

// cluster runs several Elections over a fake network, for the scenario files and the
// simulation. Every message, self-addressed ones included, goes through net.
type cluster struct {
	voters    []int64
	observers []int64
	nodes     map[int64]*simNode
	net       []envelope
	isolated  map[int64]bool   // messages from and to these servers (except to themselves) are lost
	trace     *strings.Builder // nil: no trace
	timing    Config           // FinalizeWait and notification intervals for every node
	// route, when set, decides what becomes of each message sent: none (lost), one, or more
	// (duplicated), each with its delivery time.
	route func(envelope) []envelope
}

type simNode struct {
	id   int64
	prop Proposal
	e    *Election
	up   bool
}

type envelope struct {
	from, to int64
	n        wire.Notification
	due      int // simulation time at which it may be delivered
}

func newCluster() *cluster {
	return &cluster{nodes: map[int64]*simNode{}, isolated: map[int64]bool{}}
}

func (c *cluster) ids() []int64 {
	ids := make([]int64, 0, len(c.nodes))
	for id := range c.nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (c *cluster) configText() []byte {
	var b strings.Builder
	for _, id := range c.ids() {
		role := "participant"
		if slices.Contains(c.observers, id) {
			role = "observer"
		}
		fmt.Fprintf(&b, "server.%d=127.0.0.1:%d:%d:%s\n", id, 2000+id, 3000+id, role)
	}
	b.WriteString("version=0")
	return []byte(b.String())
}

// add declares a server; call build once all are added.
func (c *cluster) add(id int64, observer bool, p Proposal) {
	c.nodes[id] = &simNode{id: id, prop: p}
	if observer {
		c.observers = append(c.observers, id)
	} else {
		c.voters = append(c.voters, id)
	}
}

func (c *cluster) newElection(id int64) *Election {
	cfg := c.timing
	cfg.ID = id
	cfg.Voters = c.voters
	cfg.Observer = slices.Contains(c.observers, id)
	cfg.ConfigText = c.configText()
	return New(cfg)
}

func (c *cluster) logf(format string, args ...any) {
	if c.trace != nil {
		fmt.Fprintf(c.trace, format+"\n", args...)
	}
}

// start boots node id (a new process) and starts its first election.
func (c *cluster) start(id int64) {
	n := c.nodes[id]
	n.e = c.newElection(id)
	n.up = true
	n.e.Start(n.prop)
	c.collect(n, 0)
}

// look makes a running node look for a leader again (its role ended).
func (c *cluster) look(id int64, now int) {
	n := c.nodes[id]
	n.e.Start(n.prop)
	c.collect(n, now)
}

func (c *cluster) crash(id int64) {
	n := c.nodes[id]
	n.up = false
	n.e = nil
	c.net = slices.DeleteFunc(c.net, func(m envelope) bool { return m.from == id || m.to == id })
	c.logf("%d crashed", id)
}

// collect moves n's Ready into the network (due at now) and the trace.
func (c *cluster) collect(n *simNode, now int) {
	rd := n.e.Ready()
	for _, m := range rd.Messages {
		env := envelope{from: n.id, to: m.To, n: m.Notification, due: now}
		c.logf("%d->%d %s", n.id, m.To, fmtNotification(m.Notification))
		if c.route == nil {
			c.net = append(c.net, env)
			continue
		}
		c.net = append(c.net, c.route(env)...)
	}
	if d := rd.Decided; d != nil {
		c.logf("%d decided %s %s round=%d", n.id, d.State, d.Vote, d.Vote.ElectionEpoch)
	}
}

func (c *cluster) deliver(m envelope, now int) {
	n := c.nodes[m.to]
	if n == nil || !n.up {
		return
	}
	if m.from != m.to && (c.isolated[m.from] || c.isolated[m.to]) {
		c.logf("%d->%d lost", m.from, m.to)
		return
	}
	n.e.Step(m.from, m.n)
	c.collect(n, now)
}

func (c *cluster) tick(id int64, now int) {
	n := c.nodes[id]
	if n == nil || !n.up {
		return
	}
	n.e.Tick()
	c.collect(n, now)
}

func fmtNotification(n wire.Notification) string {
	v := Vote{Leader: n.Leader, Zxid: n.Zxid, PeerEpoch: n.PeerEpoch}
	return fmt.Sprintf("%s %s round=%d", n.State, v, n.ElectionEpoch)
}

func (c *cluster) status() string {
	var b strings.Builder
	for _, id := range c.ids() {
		n := c.nodes[id]
		switch {
		case !n.up:
			fmt.Fprintf(&b, "%d: down\n", id)
		case n.e.Looking():
			fmt.Fprintf(&b, "%d: LOOKING round=%d proposal=%s\n", id, n.e.LogicalClock(), n.e.Proposal())
		default:
			v := n.e.CurrentVote()
			fmt.Fprintf(&b, "%d: %s round=%d vote=%s vote-round=%d\n", id, n.e.State(), n.e.LogicalClock(), v, v.ElectionEpoch)
		}
	}
	return b.String()
}
