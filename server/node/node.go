package node

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/server/prep"
	"github.com/zkgo/zkgo/server/session"
	"github.com/zkgo/zkgo/server/watch"
	"github.com/zkgo/zkgo/wire"
)

// Log is what the node needs of storage: appends that become durable in order.
type Log interface {
	// Append queues a txn entry (TxnHeader + txn + digest) for zxid.
	Append(zxid int64, entry []byte)
	// Durable carries the highest zxid known durable, after each group commit.
	Durable() <-chan int64
}

// memLog is a Log without a disk: every append is durable at once.
type memLog struct{ ch chan int64 }

func newMemLog() *memLog { return &memLog{ch: make(chan int64, 1)} }

func (m *memLog) Append(zxid int64, _ []byte) {
	select {
	case <-m.ch:
	default:
	}
	m.ch <- zxid
}

func (m *memLog) Durable() <-chan int64 { return m.ch }

// Snapshotter is the part of storage that takes snapshots (server/storage implements it).
type Snapshotter interface {
	SnapshotDue() <-chan struct{}
	TakeSnapshot(zxid int64, write func(*wire.SnapshotWriter) error) error
	SaveSnapshot(zxid int64, write func(*wire.SnapshotWriter) error) error
}

// takeSnapshot copies the tree at its last applied zxid and lets storage write it in the
// background.
func (n *Node) takeSnapshot(s Snapshotter) {
	if err := s.TakeSnapshot(n.tree.LastZxid, datatree.SnapshotFunc(n.tree, n.snapSessions())); err != nil {
		n.log.Warn("snapshot not taken", "err", err)
	}
}

func (n *Node) snapSessions() []wire.SnapSession {
	all := n.sessions.All()
	ss := make([]wire.SnapSession, len(all))
	for i, s := range all {
		ss[i] = wire.SnapSession{ID: s.ID, Timeout: s.Timeout}
	}
	return ss
}

// SaveSnapshot writes a snapshot of the current tree and waits for it (after a SNAP sync).
// Call inside Do.
func (n *Node) SaveSnapshot() error {
	s, ok := n.wal.(Snapshotter)
	if !ok {
		return nil
	}
	return s.SaveSnapshot(n.tree.LastZxid, datatree.SnapshotFunc(n.tree, n.snapSessions()))
}

// SetReload installs the storage's "tree as of zxid" loader used by TRUNC.
func (n *Node) SetReload(f func(zxid int64) (*datatree.Tree, map[int64]int32, error)) {
	n.reload = f
}

// Options configure a node.
type Options struct {
	MyID               int64
	TickTime           time.Duration
	MinSessionTimeout  time.Duration
	MaxSessionTimeout  time.Duration
	MaxBuffer          int
	ExtendedTypes      bool
	Digest             bool // write TxnDigest (zookeeper.digest.enabled)
	SkipACL            bool
	SuperDigest        string
	ContainerInterval  time.Duration // znode.container.checkIntervalMs
	ContainerMaxPerMin int
	Logger             *slog.Logger
	// ObserveRequest, when set, is called on the node loop for every answered request
	// (metrics); it must not block.
	ObserveRequest func(Observed)
	// ReconfigEnabled is reconfigEnabled; StandaloneEnabled is standaloneEnabled (a reconfig
	// must leave 2 voters). OnActivate is told of every config that becomes active.
	ReconfigEnabled   bool
	StandaloneEnabled bool
	OnActivate        ActivateFunc
}

func (o *Options) defaults() {
	if o.TickTime <= 0 {
		o.TickTime = 2 * time.Second
	}
	if o.MinSessionTimeout <= 0 {
		o.MinSessionTimeout = 2 * o.TickTime
	}
	if o.MaxSessionTimeout <= 0 {
		o.MaxSessionTimeout = 20 * o.TickTime
	}
	if o.MaxBuffer <= 0 {
		o.MaxBuffer = jute.DefaultMaxBuffer
	}
	if o.ContainerInterval <= 0 {
		o.ContainerInterval = time.Minute
	}
	if o.ContainerMaxPerMin <= 0 {
		o.ContainerMaxPerMin = 10000
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Stats are counters read by four-letter words and metrics.
type Stats struct {
	Received, Sent         atomic.Int64
	MinLatency, MaxLatency atomic.Int64 // ms
	TotalLatency, Count    atomic.Int64 // ms, requests
	DigestMismatches       atomic.Int64 // txns whose tree digest after apply differed from the txn's
}

// pending is a txn in the log but not yet applied: prepared here (standalone, leader) or
// received from the leader (follower).
type pending struct {
	txn     *prep.Txn
	payload []byte // the log entry / PROPOSAL bytes
	digest  bool   // txn.Digest is the tree digest the txn's author computed after it
	durable bool
}

// request is a decoded client request.
type request struct {
	client *Client
	xid    int32
	op     wire.Op
	body   jute.Record
	multi  []wire.MultiOp
	start  time.Time
	// sync barrier: the last zxid prepared when the sync arrived
	barrier int64
	synced  bool // follower: the leader's SYNC for this sync arrived
	done    bool // a write that has been applied (its reply is out)
}

// sessionQueue keeps a session's requests in arrival order until their replies are out.
type sessionQueue struct {
	items []*request
	// spare is the whole array items lives in (drain pops from the front by reslicing): a
	// queue that empties, as a synchronous client's does after every reply, starts over at
	// its beginning instead of allocating.
	spare []*request
}

func (q *sessionQueue) push(r *request) {
	if len(q.items) == 0 && q.spare != nil {
		q.items = q.spare[:0]
	}
	c := cap(q.items)
	q.items = append(q.items, r)
	if cap(q.items) != c {
		q.spare = q.items // a new array, and items starts at its beginning
	}
}

// Node is a standalone ZooKeeper server core driver.
type Node struct {
	opts     Options
	log      *slog.Logger
	tree     *datatree.Tree
	watches  *watch.Manager
	sessions *session.Tracker
	prep     *prep.Prep
	auth     *prep.Auth
	wal      Log

	// mu serialises everything that touches the node's state: the loop's own events
	// (durability, ticks, snapshots) and the callers of Do and post, which run their function
	// on their own goroutine under mu. A client request thus runs on its connection's reader,
	// with no hand-off to another goroutine, while the node stays single-threaded in effect.
	mu      sync.Mutex
	closed  bool // under mu: Stop was processed, nothing runs any more
	stop    chan struct{}
	stopped chan struct{}

	nextZxid     int64 // last zxid handed out
	pending      []*pending
	commitLog    []*pending // recent applied txns (committedLog), oldest first
	queues       map[int64]*sessionQueue
	syncWait     map[int64]bool    // sessions whose queue head is a sync
	clients      map[int64]*Client // session -> attached client
	connecting   map[int64]*Client // new sessions waiting for their createSession txn
	role         Role
	serving      bool
	reload       func(zxid int64) (*datatree.Tree, map[int64]int32, error) // storage: the tree as of zxid
	lead         *leaderState                                              // leader only
	learner      LeaderLink                                                // follower/observer only
	syncFIFO     []*request                                                // follower: syncs forwarded to the leader, oldest first
	revalidating map[int64]*Client                                         // follower: reconnects waiting for REVALIDATE
	touched      map[int64]struct{}                                        // follower: sessions touched since the last PING
	byConn       map[Conn]*Client
	watchers     map[watch.Watcher]*Client
	nextWatch    watch.Watcher

	Stats     Stats
	start     time.Time
	digestLog []ZxidDigest

	rc       reconfigState
	leaderID int64 // learner: the leader followed
}

// New returns a node over a tree (restored or fresh) whose last applied zxid is tree.LastZxid.
// wal may be nil for a memory-only server.
func New(opts Options, tree *datatree.Tree, wal Log) *Node {
	opts.defaults()
	if wal == nil {
		wal = newMemLog()
	}
	n := &Node{
		opts: opts, log: opts.Logger, tree: tree, watches: watch.New(), wal: wal,
		stop: make(chan struct{}), stopped: make(chan struct{}),
		nextZxid: tree.LastZxid, queues: map[int64]*sessionQueue{}, syncWait: map[int64]bool{},
		clients: map[int64]*Client{}, connecting: map[int64]*Client{}, revalidating: map[int64]*Client{}, touched: map[int64]struct{}{}, byConn: map[Conn]*Client{}, watchers: map[watch.Watcher]*Client{},
		start: time.Now(), serving: true,
	}
	n.sessions = session.NewTracker(opts.MyID, time.Now().UnixMilli(), opts.TickTime.Milliseconds())
	n.auth = &prep.Auth{SkipACL: opts.SkipACL, SuperDigest: opts.SuperDigest}
	n.prep = newPrepFor(n)
	n.tree.DigestEnabled = true
	return n
}

type sessionView struct{ t *session.Tracker }

func (s sessionView) Valid(id int64) bool {
	ss := s.t.Get(id)
	return ss != nil && !ss.Closing
}

// RestoreSessions re-registers sessions loaded from a snapshot/log.
func (n *Node) RestoreSessions(ss map[int64]int32) {
	now := time.Now().UnixMilli()
	for id, to := range ss {
		n.sessions.Add(id, to, now)
	}
}

// Run drives the node until Stop.
func (n *Node) Run() {
	defer close(n.stopped)
	tick := n.opts.TickTime / 4
	if tick < 10*time.Millisecond {
		tick = 10 * time.Millisecond
	}
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	containers := time.NewTicker(n.opts.ContainerInterval)
	defer containers.Stop()
	var snapDue <-chan struct{}
	snapper, _ := n.wal.(Snapshotter)
	if snapper != nil {
		snapDue = snapper.SnapshotDue()
	}
	for {
		select {
		case z := <-n.wal.Durable():
			n.Do(func() { n.durable(z) })
		case <-ticker.C:
			n.Do(func() {
				if n.role == RoleStandalone || n.role == RoleLeader && n.serving {
					n.expireSessions()
				}
			})
		case <-containers.C:
			n.Do(func() {
				if n.role == RoleStandalone || n.role == RoleLeader && n.serving {
					n.checkContainers()
				}
			})
		case <-snapDue:
			n.Do(func() { n.takeSnapshot(snapper) })
		case <-n.stop:
			n.mu.Lock()
			n.closed = true
			for _, c := range n.clients {
				c.conn.Close()
			}
			n.mu.Unlock()
			return
		}
	}
}

// Stop ends the loop.
func (n *Node) Stop() {
	select {
	case <-n.stop:
	default:
		close(n.stop)
	}
	<-n.stopped
}

// Do runs f as a step of the node (under its lock, on the caller's goroutine) and reports
// whether it ran: once the node has stopped, nothing runs. f must not call Do.
func (n *Node) Do(f func()) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	f()
	return true
}

func (n *Node) post(f func()) { n.Do(f) }

// Tree exposes the data tree; only use it from inside Do.
func (n *Node) Tree() *datatree.Tree { return n.tree }

// Watches exposes the watch manager; only from inside Do.
func (n *Node) Watches() *watch.Manager { return n.watches }

// Sessions exposes the session tracker; only from inside Do.
func (n *Node) Sessions() *session.Tracker { return n.sessions }

// Clients lists attached clients; only from inside Do.
func (n *Node) Clients() map[int64]*Client { return n.clients }

// Options returns the node's options.
func (n *Node) Options() Options { return n.opts }

// StartTime is when the node was created.
func (n *Node) StartTime() time.Time { return n.start }

// Outstanding is the number of writes waiting for the log; only from inside Do.
func (n *Node) Outstanding() int { return len(n.pending) }

func nowMs() int64 { return time.Now().UnixMilli() }

// propose prepares a write into a txn, logs it and (leader) sends it to the followers.
func (n *Node) propose(r *prep.Request) {
	n.nextZxid++
	t := n.prep.Prepare(r, n.nextZxid, nowMs())
	p := &pending{txn: t, payload: t.Marshal(n.opts.Digest), digest: n.opts.Digest}
	next := n.proposedReconfig(p)
	n.pending = append(n.pending, p)
	n.wal.Append(t.Header.Zxid, p.payload)
	if n.role == RoleLeader && n.lead != nil {
		n.lead.propose(p, next)
	}
}

// durable handles the log's progress: standalone applies, a leader counts its own ack, a
// follower acks to the leader.
func (n *Node) durable(z int64) {
	switch n.role {
	case RoleLeader:
		for _, p := range n.pending {
			if p.txn.Header.Zxid > z {
				break
			}
			p.durable = true
		}
		if l := n.lead; l != nil && !l.ended {
			l.core.LogDurable(z)
			l.advance()
		}
	case RoleFollower, RoleObserver:
		for _, p := range n.pending {
			if p.txn.Header.Zxid > z {
				break
			}
			p.durable = true
		}
		// The quorum driver sends the ACKs its ZAB core held until the log is durable.
		if dl, ok := n.learner.(DurableLink); ok {
			dl.Durable(z)
		}
	default:
		n.applyUpTo(z)
	}
}

// applyUpTo applies every pending txn with zxid <= z, in order, and sends replies/events.
func (n *Node) applyUpTo(z int64) {
	i := 0
	for ; i < len(n.pending) && n.pending[i].txn.Header.Zxid <= z; i++ {
		n.apply(n.pending[i])
		n.pending[i] = nil
	}
	n.pending = n.pending[i:]
	if len(n.pending) == 0 {
		n.pending = nil
	}
	n.afterApply()
}

func (n *Node) afterApply() {
	for s := range n.syncWait {
		n.drain(s)
	}
}

// apply applies one txn to the tree, fires its watches and answers the client that asked
// for it, if that client is connected here.
func (n *Node) apply(p *pending) {
	t := p.txn
	hdr := &t.Header
	res := n.tree.ApplyTxn(hdr, t.Record)
	if p.digest && int64(n.tree.Digest()) != t.Digest {
		// As Java: a digest mismatch is logged and counted, never fatal.
		n.Stats.DigestMismatches.Add(1)
		n.log.Warn("digest mismatch", "zxid", hexID(hdr.Zxid), "expected", t.Digest, "actual", int64(n.tree.Digest()))
	}
	n.logDigest(hdr.Zxid)
	n.prep.Applied(hdr.Zxid)
	n.remember(p)
	switch wire.Op(hdr.Type) {
	case wire.OpCreateSession:
		if cs, ok := t.Record.(*records.CreateSessionTxn); ok && n.sessions.Get(hdr.ClientID) == nil {
			n.sessions.Add(hdr.ClientID, cs.TimeOut, nowMs())
		}
		if c := n.connecting[hdr.ClientID]; c != nil {
			delete(n.connecting, hdr.ClientID)
			n.finishConnect(c, hdr.ClientID, true)
		}
	case wire.OpCloseSession:
		n.sessions.Remove(hdr.ClientID)
	}
	n.fire(res.Triggers, hdr.Zxid)
	if q := n.queues[hdr.ClientID]; q != nil {
		for _, r := range q.items {
			if !r.done && r.op.IsWrite() && r.xid == hdr.Cxid {
				n.replyWrite(r, t, &res)
				break
			}
		}
	}
	if wire.Op(hdr.Type) == wire.OpCloseSession {
		if c := n.clients[hdr.ClientID]; c != nil {
			n.detach(c)
			c.conn.Close()
		}
		delete(n.queues, hdr.ClientID)
		delete(n.syncWait, hdr.ClientID)
	}
}

// fire delivers the watch events of a txn, each to watchers with READ on the node (3.9).
func (n *Node) fire(triggers []datatree.Trigger, zxid int64) {
	for _, tr := range triggers {
		for _, ev := range n.watches.Trigger(tr.Path, tr.Event) {
			c := n.watchers[ev.Watcher]
			if c == nil {
				continue
			}
			if n.auth.Check(tr.ACL, wire.PermRead, c.auth) != nil {
				continue
			}
			c.notify(ev.Type, ev.Path, zxid)
		}
	}
}

// expireSessions closes sessions whose time ran out.
func (n *Node) expireSessions() {
	for _, id := range n.sessions.Expired(nowMs()) {
		n.log.Info("expiring session", "session", hexID(id))
		n.propose(&prep.Request{SessionID: id, Op: wire.OpCloseSession})
	}
}

// checkContainers deletes empty containers that had children and expired TTL nodes, as the
// leader's ContainerManager does, at most ContainerMaxPerMin per run.
func (n *Node) checkContainers() {
	now := nowMs()
	budget := n.opts.ContainerMaxPerMin
	var paths []string
	for _, p := range n.tree.Containers() {
		nd := n.tree.Get(p)
		if nd != nil && nd.NumChildren() == 0 && nd.Stat().Cversion > 0 {
			paths = append(paths, p)
		}
	}
	for _, p := range n.tree.TTLNodes() {
		nd := n.tree.Get(p)
		if nd != nil && nd.NumChildren() == 0 && now-nd.Stat().Mtime > datatree.TTLOf(nd.Stat().EphemeralOwner) {
			paths = append(paths, p)
		}
	}
	for _, p := range paths {
		if budget == 0 {
			break
		}
		budget--
		n.propose(&prep.Request{Op: wire.OpDeleteContainer, Record: &records.DeleteContainerRequest{Path: p}})
	}
}

// CheckContainersNow runs the container/TTL cleanup once (tests, admin).
func (n *Node) CheckContainersNow() { n.Do(n.checkContainers) }
