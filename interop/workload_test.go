package interop

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkgo/zkgo/interop/history"
)

// Workload runs clients against an ensemble and records every operation: a register
// workload (set, compare-and-set, read, sync+read on a few keys) and a set workload
// (sequential creates under one parent carrying unique element ids, sync+getChildren).
type Workload struct {
	Rec            *history.Recorder
	Servers        []string // 127.0.0.1:port of every node
	Clients        int
	Pin            bool // client i talks only to Servers[i % len(Servers)]
	Keys           int
	Pause          time.Duration // between two ops of one client (jittered)
	SessionTimeout time.Duration
	Seed           int64

	procs atomic.Int64
	elems atomic.Int64
	wg    sync.WaitGroup

	mu       sync.Mutex
	expiries []Expiry
	sessions map[int64]bool
}

// Expiry is a session that expired under a client.
type Expiry struct {
	Time    int64  // recorder clock
	Client  int    // client index
	Pinned  string // the server the client is pinned to ("" when not pinned)
	Session int64
}

const (
	regRoot   = "/r"
	setParent = "/s"
)

func regKey(i int) string { return fmt.Sprintf("%s/k%d", regRoot, i) }

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// Setup creates the keys and the set parent (retrying while the ensemble settles).
func (w *Workload) Setup(ctx context.Context) error {
	conn, _, err := zk.Connect(w.Servers, w.SessionTimeout, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
	if err != nil {
		return err
	}
	defer conn.Close()
	paths := []string{regRoot, setParent}
	for i := 0; i < w.Keys; i++ {
		paths = append(paths, regKey(i))
	}
	for _, p := range paths {
		for {
			_, err := conn.Create(p, nil, 0, zk.WorldACL(zk.PermAll))
			if err == nil || errors.Is(err, zk.ErrNodeExists) {
				break
			}
			if ctx.Err() != nil {
				return fmt.Errorf("setup: create %s: %v", p, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return nil
}

// Start launches the clients; they stop when ctx is done. Wait waits for them.
func (w *Workload) Start(ctx context.Context) {
	w.sessions = map[int64]bool{}
	for i := 0; i < w.Clients; i++ {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			w.client(ctx, i)
		}()
	}
}

// Wait waits until every client has stopped.
func (w *Workload) Wait() { w.wg.Wait() }

// Expiries returns the session expiries seen so far.
func (w *Workload) Expiries() []Expiry {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Expiry(nil), w.expiries...)
}

// Sessions is the number of distinct sessions the clients used.
func (w *Workload) Sessions() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.sessions)
}

type opKind int

const (
	kWrite opKind = iota
	kCAS
	kSyncRead
	kRead
	kAdd
	kSetRead
)

// weights of the op mix, in the order above.
var opWeights = []int{25, 15, 20, 10, 18, 12}

func pick(r *rand.Rand) opKind {
	total := 0
	for _, w := range opWeights {
		total += w
	}
	x := r.Intn(total)
	for i, w := range opWeights {
		if x < w {
			return opKind(i)
		}
		x -= w
	}
	return kRead
}

func (w *Workload) client(ctx context.Context, idx int) {
	r := rand.New(rand.NewSource(w.Seed*1000 + int64(idx)))
	servers := w.Servers
	pinned := ""
	if w.Pin {
		pinned = w.Servers[idx%len(w.Servers)]
		servers = []string{pinned}
	}
	var conn *zk.Conn
	for conn == nil {
		var events <-chan zk.Event
		var err error
		conn, events, err = zk.Connect(servers, w.SessionTimeout, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
		if err != nil {
			w.Rec.Note("client %d: connect: %v", idx, err)
			time.Sleep(time.Second)
			continue
		}
		go func() {
			for ev := range events {
				if ev.Type == zk.EventSession && ev.State == zk.StateExpired {
					w.mu.Lock()
					w.expiries = append(w.expiries, Expiry{Time: w.Rec.Now(), Client: idx, Pinned: pinned, Session: conn.SessionID()})
					w.mu.Unlock()
					w.Rec.Note("client %d: session expired (pinned to %q)", idx, pinned)
				}
			}
		}()
	}
	defer conn.Close()

	proc := int(w.procs.Add(1) - 1)
	versions := map[string]int32{} // last version this client saw per key
	n := 0
	for ctx.Err() == nil {
		n++
		kind := pick(r)
		key := regKey(r.Intn(w.Keys))
		op := history.Op{Process: proc, Session: conn.SessionID(), Server: conn.Server()}
		var st history.Status
		switch kind {
		case kWrite, kCAS:
			op.Key = key
			op.Value = fmt.Sprintf("c%d-%d", idx, n)
			ver := int32(-1)
			op.Kind = history.Write
			if kind == kCAS {
				op.Kind = history.CAS
				ver = versions[key]
				op.ExpVersion = ver
			}
			o := w.Rec.Invoke(op)
			stat, err := conn.Set(key, []byte(op.Value), ver)
			st = classify(o, err)
			if err == nil {
				o.Version, o.Zxid = stat.Version, stat.Mzxid
				versions[key] = stat.Version
			}
			if errors.Is(err, zk.ErrBadVersion) {
				o.BadVer = true
			}
			w.complete(o, conn, st)
		case kRead, kSyncRead:
			op.Key = key
			op.Kind = history.Read
			if kind == kSyncRead {
				op.Kind = history.SyncRead
			}
			o := w.Rec.Invoke(op)
			var err error
			if kind == kSyncRead {
				_, err = conn.Sync(key)
			}
			var data []byte
			var stat *zk.Stat
			if err == nil {
				data, stat, err = conn.Get(key)
			}
			st = classify(o, err)
			if err == nil {
				o.Out, o.Version, o.Zxid = string(data), stat.Version, stat.Mzxid
				versions[key] = stat.Version
			}
			w.complete(o, conn, st)
		case kAdd:
			elem := int(w.elems.Add(1))
			op.Kind, op.Key, op.Elem = history.Add, setParent, elem
			o := w.Rec.Invoke(op)
			path, err := conn.Create(fmt.Sprintf("%s/e-%d-", setParent, elem), nil, zk.FlagSequence, zk.WorldACL(zk.PermAll))
			st = classify(o, err)
			if err == nil {
				o.Path = path
				_, o.Seq, _ = parseChild(path[strings.LastIndex(path, "/")+1:])
			}
			w.complete(o, conn, st)
		case kSetRead:
			op.Kind, op.Key = history.SetRead, setParent
			o := w.Rec.Invoke(op)
			_, err := conn.Sync(setParent)
			var kids []string
			var stat *zk.Stat
			if err == nil {
				kids, stat, err = conn.Children(setParent)
			}
			st = classify(o, err)
			if err == nil {
				o.Elems = make([]int, 0, len(kids))
				for _, k := range kids {
					if e, _, ok := parseChild(k); ok {
						o.Elems = append(o.Elems, e)
					}
				}
				o.Zxid = stat.Pzxid
			}
			w.complete(o, conn, st)
		}
		if st == history.Unknown {
			// A process has one op outstanding at a time; an op of unknown outcome may still
			// take effect, so later ops belong to a new process (as in Jepsen).
			proc = int(w.procs.Add(1) - 1)
		}
		if w.Pause > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(w.Pause/2 + time.Duration(r.Int63n(int64(w.Pause)))):
			}
		}
	}
}

// complete records the end of o; if the session changed while o ran (an expiry), o is kept
// out of the per-session checks.
func (w *Workload) complete(o *history.Op, conn *zk.Conn, st history.Status) {
	if sid := conn.SessionID(); sid != o.Session {
		o.Session = 0
	} else if sid != 0 {
		w.mu.Lock()
		w.sessions[sid] = true
		w.mu.Unlock()
	}
	w.Rec.Complete(o, st)
}

// classify maps a client error to an outcome. Errors the server returned mean the op did not
// apply; ErrNoServer comes only for requests never sent. Anything else (connection lost,
// session expired with the request in flight) leaves the outcome unknown.
func classify(o *history.Op, err error) history.Status {
	if err == nil {
		return history.OK
	}
	o.Err = err.Error()
	switch {
	case errors.Is(err, zk.ErrBadVersion), errors.Is(err, zk.ErrNoNode), errors.Is(err, zk.ErrNodeExists),
		errors.Is(err, zk.ErrNoServer), errors.Is(err, zk.ErrNoAuth), errors.Is(err, zk.ErrBadArguments):
		return history.Fail
	}
	return history.Unknown
}

// parseChild parses "e-<elem>-<10-digit seq>".
func parseChild(name string) (elem int, seq int64, ok bool) {
	rest, found := strings.CutPrefix(name, "e-")
	if !found {
		return 0, 0, false
	}
	i := strings.LastIndex(rest, "-")
	if i < 0 {
		return 0, 0, false
	}
	e, err1 := strconv.Atoi(rest[:i])
	s, err2 := strconv.ParseInt(rest[i+1:], 10, 64)
	return e, s, err1 == nil && err2 == nil
}

// ReadFinal reads the final state through each node's own client port (sync, then read), all
// nodes at once, retrying while a node that just rejoined settles. The reads go into the
// history too, so the linearizability check covers them. It returns what it could read and
// one error per node that did not answer in time.
func (w *Workload) ReadFinal(ctx context.Context, c *Cluster) ([]history.Final, []error) {
	nodes := c.Nodes()
	finals := make([]history.Final, len(nodes))
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			finals[i], errs[i] = w.readNode(ctx, n)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("final state of %s: %w", n, errs[i])
			}
		}()
	}
	wg.Wait()
	var got []history.Final
	var bad []error
	for i := range nodes {
		if errs[i] != nil {
			bad = append(bad, errs[i])
		} else {
			got = append(got, finals[i])
		}
	}
	return got, bad
}

func (w *Workload) readNode(ctx context.Context, n *Node) (history.Final, error) {
	f := history.Final{Node: fmt.Sprintf("n%d/%s", n.ID, n.Impl), Registers: map[string]history.Register{}, Sets: map[string][]int{}}
	conn, _, err := zk.Connect([]string{n.Addr()}, w.SessionTimeout, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
	if err != nil {
		return f, err
	}
	defer conn.Close()
	proc := int(w.procs.Add(1) - 1)
	retry := func(what string, fn func() error) error {
		var err error
		errs := map[string]int{}
		for attempt := 1; ; attempt++ {
			if err = fn(); err == nil {
				return nil
			}
			errs[err.Error()]++
			if ctx.Err() != nil {
				srvr, serr := Srvr(n.Addr(), 2*time.Second)
				return fmt.Errorf("%s: %d attempts, errors %v; client state %v, session 0x%x; srvr: %v %v",
					what, attempt, errs, conn.State(), conn.SessionID(), srvr, serr)
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	for i := 0; i < w.Keys; i++ {
		key := regKey(i)
		err := retry("read "+key, func() error {
			o := w.Rec.Invoke(history.Op{Process: proc, Session: conn.SessionID(), Server: n.Addr(), Kind: history.SyncRead, Key: key})
			_, err := conn.Sync(key)
			var data []byte
			var stat *zk.Stat
			if err != nil {
				err = fmt.Errorf("sync: %w", err)
			} else if data, stat, err = conn.Get(key); err != nil {
				err = fmt.Errorf("get: %w", err)
			}
			st := classify(o, err)
			if err == nil {
				o.Out, o.Version, o.Zxid = string(data), stat.Version, stat.Mzxid
				f.Registers[key] = history.Register{Value: o.Out, Version: o.Version, Mzxid: o.Zxid}
			}
			w.Rec.Complete(o, st)
			if st == history.Unknown {
				proc = int(w.procs.Add(1) - 1)
			}
			return err
		})
		if err != nil {
			return f, err
		}
	}
	err = retry("read "+setParent, func() error {
		o := w.Rec.Invoke(history.Op{Process: proc, Session: conn.SessionID(), Server: n.Addr(), Kind: history.SetRead, Key: setParent})
		_, err := conn.Sync(setParent)
		var kids []string
		var stat *zk.Stat
		if err != nil {
			err = fmt.Errorf("sync: %w", err)
		} else if kids, stat, err = conn.Children(setParent); err != nil {
			err = fmt.Errorf("getChildren: %w", err)
		}
		st := classify(o, err)
		if err == nil {
			o.Elems = []int{}
			for _, k := range kids {
				if e, _, ok := parseChild(k); ok {
					o.Elems = append(o.Elems, e)
				}
			}
			o.Zxid = stat.Pzxid
			f.Sets[setParent] = o.Elems
		}
		w.Rec.Complete(o, st)
		return err
	})
	return f, err
}
