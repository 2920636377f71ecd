package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

// Hooks let the caller act at the edges of the measured window (resource sampling) and see
// progress.
type Hooks struct {
	MeasureStart func()
	MeasureEnd   func()
	Logf         func(format string, args ...any)
}

func (h Hooks) logf(format string, args ...any) {
	if h.Logf != nil {
		h.Logf(format, args...)
	}
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

// bufferedConn reads through a buffer. go-zookeeper reads each reply as two ReadFull calls
// (its 4-byte length, then the body), each a read syscall on a bare socket; through the buffer a
// reply costs one read, and several replies that arrived together cost one read between them.
// The client is the same for every target and shares the machine's cores with the servers, so
// what it spends per request caps every throughput ratio.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func bufferedDial(network, address string, timeout time.Duration) (net.Conn, error) {
	conn, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	return &bufferedConn{Conn: conn, r: bufio.NewReaderSize(conn, 64<<10)}, nil
}

// Connect opens one go-zookeeper session to addr and waits until it has a session.
func Connect(ctx context.Context, addr string, timeout time.Duration) (*zk.Conn, error) {
	c, ev, err := zk.Connect([]string{addr}, timeout, zk.WithLogger(nopLogger{}), zk.WithLogInfo(false),
		zk.WithDialer(bufferedDial))
	if err != nil {
		return nil, fmt.Errorf("bench: connect %s: %w", addr, err)
	}
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				return c, nil
			}
			if e.State == zk.StateExpired || e.State == zk.StateAuthFailed {
				c.Close()
				return nil, fmt.Errorf("bench: connect %s: session state %v", addr, e.State)
			}
		case <-deadline.C:
			c.Close()
			return nil, fmt.Errorf("bench: connect %s: no session after 30s", addr)
		case <-ctx.Done():
			c.Close()
			return nil, ctx.Err()
		}
	}
}

// connectAll opens n sessions, session i on addrs[i%len(addrs)].
func connectAll(ctx context.Context, addrs []string, n int, timeout time.Duration) ([]*zk.Conn, error) {
	conns := make([]*zk.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			conns[i], errs[i] = Connect(ctx, addrs[i%len(addrs)], timeout)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		closeAll(conns)
		return nil, err
	}
	return conns, nil
}

func closeAll(conns []*zk.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

var openACL = zk.WorldACL(zk.PermAll)

// ensureTree creates the key space (missing keys only) with values of the workload's size.
func ensureTree(conns []*zk.Conn, w Workload, value []byte) error {
	c := conns[0]
	for _, p := range []string{rootPath, rootPath + "/c", rootPath + "/w"} {
		if _, err := c.Create(p, nil, 0, openACL); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("bench: create %s: %w", p, err)
		}
	}
	nb := (w.Keys + bucketSize - 1) / bucketSize
	work := make(chan int, nb)
	for b := 0; b < nb; b++ {
		work <- b
	}
	close(work)
	var wg sync.WaitGroup
	errc := make(chan error, len(conns))
	for _, c := range conns[:min(len(conns), 8)] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				if err := ensureBucket(c, b, w.Keys, value); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

func ensureBucket(c *zk.Conn, b, keys int, value []byte) error {
	bp := bucketPath(b)
	if _, err := c.Create(bp, nil, 0, openACL); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return fmt.Errorf("bench: create %s: %w", bp, err)
	}
	have, _, err := c.Children(bp)
	if err != nil {
		return fmt.Errorf("bench: children of %s: %w", bp, err)
	}
	seen := make(map[string]bool, len(have))
	for _, h := range have {
		seen[h] = true
	}
	var ops []any
	for k := b * bucketSize; k < min((b+1)*bucketSize, keys); k++ {
		if !seen["k"+strconv.Itoa(k)] {
			ops = append(ops, &zk.CreateRequest{Path: keyPath(k), Data: value, Acl: openACL})
		}
	}
	if len(ops) == 0 {
		return nil
	}
	if _, err := c.Multi(ops...); err != nil {
		return fmt.Errorf("bench: creating the keys of %s: %w", bp, err)
	}
	return nil
}

// phase of a run, read by every worker after each operation.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

type run struct {
	w       Workload
	rec     *recorder
	phase   atomic.Int32
	counted atomic.Int64 // measured operations (Ops mode)
	endOnce sync.Once
	ended   chan struct{}
	endAt   atomic.Int64 // UnixNano of the end of the measured window
}

func (r *run) end() {
	r.endOnce.Do(func() {
		r.endAt.Store(time.Now().UnixNano())
		r.phase.Store(phaseStop)
		close(r.ended)
	})
}

// Run drives workload w against the servers at addrs and returns its measurements.
func Run(ctx context.Context, addrs []string, w Workload, h Hooks) (*Result, error) {
	w.defaults()
	if len(addrs) == 0 {
		return nil, errors.New("bench: no server address")
	}
	// Everything the client side starts carries the label side=client, so a CPU profile of an
	// in-process target can be split: go tool pprof -tagignore side=client.
	pprof.SetGoroutineLabels(pprof.WithLabels(ctx, pprof.Labels("side", "client")))
	defer pprof.SetGoroutineLabels(ctx)
	h.logf("  %s: connecting %d sessions", w.Name, w.Sessions)
	conns, err := connectAll(ctx, addrs, w.Sessions, w.Timeout)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	rng := rand.New(rand.NewSource(w.Seed))
	value := make([]byte, w.ValueSize)
	rng.Read(value)
	if err := ensureTree(conns, w, value); err != nil {
		return nil, err
	}

	r := &run{w: w, rec: newRecorder(), ended: make(chan struct{})}
	nworkers := w.Sessions * w.Depth
	workers := make([]*worker, nworkers)
	runID := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	for i := range workers {
		wk := &worker{
			r: r, id: i, conn: conns[i%w.Sessions], value: value,
			rng:    rand.New(rand.NewSource(w.Seed + int64(i)*7919 + 1)),
			prefix: rootPath + "/c/" + runID + "-" + strconv.Itoa(i) + "-",
		}
		wk.cum = cumulative(w.Mix)
		if w.Mix.has(OpWatch) {
			wk.watchPath = rootPath + "/w/" + runID + "-" + strconv.Itoa(i)
			if _, err := wk.conn.Create(wk.watchPath, value, 0, openACL); err != nil && !errors.Is(err, zk.ErrNodeExists) {
				return nil, fmt.Errorf("bench: create %s: %w", wk.watchPath, err)
			}
		}
		if w.Rate > 0 {
			wk.interval = time.Duration(float64(nworkers) / w.Rate * float64(time.Second))
		}
		workers[i] = wk
	}

	var wg sync.WaitGroup
	begin := time.Now()
	for _, wk := range workers {
		wg.Add(1)
		go func() { defer wg.Done(); wk.loop(begin) }()
	}
	h.logf("  %s: warm-up %v", w.Name, w.Warmup)
	select {
	case <-time.After(w.Warmup):
	case <-ctx.Done():
		r.end()
	}
	r.rec.start = time.Now()
	r.phase.CompareAndSwap(phaseWarmup, phaseMeasure)
	if h.MeasureStart != nil {
		h.MeasureStart()
	}
	var timeout <-chan time.Time
	if w.Ops <= 0 {
		timeout = time.After(w.Duration)
	} else {
		// Ops mode still stops eventually if the server stalls.
		timeout = time.After(10 * time.Minute)
	}
	select {
	case <-timeout:
	case <-r.ended:
	case <-ctx.Done():
	}
	r.end()
	if h.MeasureEnd != nil {
		h.MeasureEnd()
	}
	elapsed := time.Duration(r.endAt.Load() - r.rec.start.UnixNano())
	wg.Wait()
	for _, wk := range workers {
		wk.flush()
	}
	// Remove what the workers created (not measured).
	for _, wk := range workers {
		for _, p := range wk.mine {
			wk.conn.Delete(p, -1)
		}
		if wk.watchPath != "" {
			wk.conn.Delete(wk.watchPath, -1)
		}
	}
	res := r.rec.result(elapsed)
	res.Workload = w
	res.Start = r.rec.start
	return res, ctx.Err()
}

func cumulative(m Mix) []int {
	cum := make([]int, numOps)
	t := 0
	for i, w := range m {
		t += w
		cum[i] = t
	}
	return cum
}

type worker struct {
	r         *run
	id        int
	conn      *zk.Conn
	rng       *rand.Rand
	value     []byte
	cum       []int
	prefix    string
	seq       int
	mine      []string // znodes created and not yet deleted
	watchPath string
	interval  time.Duration // paced mode: time between operation starts
	buf       []sample
	lastFlush time.Time
}

func (wk *worker) pick() Op {
	x := wk.rng.Intn(wk.cum[len(wk.cum)-1])
	for i, c := range wk.cum {
		if x < c {
			return Op(i)
		}
	}
	return OpGet
}

func (wk *worker) loop(begin time.Time) {
	next := begin
	if wk.interval > 0 {
		next = begin.Add(time.Duration(wk.rng.Int63n(int64(wk.interval))))
	}
	for wk.r.phase.Load() != phaseStop {
		start := time.Now()
		if wk.interval > 0 {
			if d := next.Sub(start); d > 0 {
				time.Sleep(d)
			}
			// Latency counts from the intended start, so a stalled server is not hidden
			// by the pacing (no coordinated omission).
			start = next
			next = next.Add(wk.interval)
		}
		wk.do(wk.pick(), start)
	}
}

func (wk *worker) key() string { return keyPath(wk.rng.Intn(wk.r.w.Keys)) }

func (wk *worker) do(op Op, start time.Time) {
	c := wk.conn
	var err error
	switch op {
	case OpGet:
		_, _, err = c.Get(wk.key())
	case OpSet:
		_, err = c.Set(wk.key(), wk.value, -1)
	case OpExists:
		_, _, err = c.Exists(wk.key())
	case OpChildren:
		nb := (wk.r.w.Keys + bucketSize - 1) / bucketSize
		_, _, err = c.Children(bucketPath(wk.rng.Intn(nb)))
	case OpDelete:
		if n := len(wk.mine); n > 0 {
			p := wk.mine[n-1]
			err = c.Delete(p, -1)
			if err == nil || errors.Is(err, zk.ErrNoNode) {
				wk.mine = wk.mine[:n-1]
			}
			break
		}
		op = OpCreate
		fallthrough
	case OpCreate:
		wk.seq++
		p := wk.prefix + strconv.Itoa(wk.seq)
		if _, err = c.Create(p, wk.value, 0, openACL); err == nil {
			wk.mine = append(wk.mine, p)
		}
	case OpMulti:
		_, err = c.Multi(
			&zk.SetDataRequest{Path: wk.key(), Data: wk.value, Version: -1},
			&zk.SetDataRequest{Path: wk.key(), Data: wk.value, Version: -1},
		)
	case OpWatch:
		var ch <-chan zk.Event
		_, _, ch, err = c.GetW(wk.watchPath)
		wk.record(int(OpWatch), start, err)
		if err != nil {
			return
		}
		t := time.Now()
		if _, err = c.Set(wk.watchPath, wk.value, -1); err == nil {
			select {
			case ev := <-ch:
				err = ev.Err
				if err == nil && ev.Type != zk.EventNodeDataChanged {
					err = fmt.Errorf("unexpected event %v", ev.Type)
				}
			case <-time.After(10 * time.Second):
				err = errors.New("watch event not received in 10s")
			}
		}
		wk.record(kindWatchFire, t, err)
		return
	}
	wk.record(int(op), start, err)
}

type sample struct {
	kind uint8
	err  error
	lat  time.Duration
	at   time.Duration // completion time since the start of the measured window
}

func (wk *worker) record(kind int, start time.Time, err error) {
	r := wk.r
	if r.phase.Load() != phaseMeasure {
		return
	}
	now := time.Now()
	wk.buf = append(wk.buf, sample{kind: uint8(kind), err: err, lat: now.Sub(start), at: now.Sub(r.rec.start)})
	if r.w.Ops > 0 && kind != kindWatchFire && r.counted.Add(1) >= r.w.Ops {
		r.end()
	}
	if len(wk.buf) >= 512 || now.Sub(wk.lastFlush) > 200*time.Millisecond {
		wk.flush()
		wk.lastFlush = now
	}
}

func (wk *worker) flush() {
	if len(wk.buf) == 0 {
		return
	}
	wk.r.rec.add(wk.buf)
	wk.buf = wk.buf[:0]
}
