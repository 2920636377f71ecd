package transport

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/election"
	"github.com/zkgo/zkgo/wire"
)

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

// servers returns n server lines on free loopback ports (ids 1..n), the last nObs observers.
func servers(t testing.TB, n, nObs int) []config.Server {
	t.Helper()
	ports, err := oracle.FreePorts(3 * n)
	if err != nil {
		t.Fatal(err)
	}
	var ss []config.Server
	for i := range n {
		ss = append(ss, config.Server{ID: int64(i + 1), Host: "127.0.0.1", QuorumPort: ports[3*i], ElectionPort: ports[3*i+1],
			ClientHost: "127.0.0.1", ClientPort: ports[3*i+2], HasClientAddr: true, Observer: i >= n-nObs})
	}
	return ss
}

func startElector(t testing.TB, ss []config.Server, id int64) *Elector {
	t.Helper()
	e, err := NewElector(ElectorConfig{MyID: id, Servers: ss, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

type result struct {
	id   int64
	d    election.Decision
	err  error
	took time.Duration
}

func lookAll(ctx context.Context, es map[int64]*Elector, p election.Proposal) map[int64]result {
	ch := make(chan result, len(es))
	for id, e := range es {
		go func() {
			start := time.Now()
			d, err := e.LookForLeader(ctx, p)
			ch <- result{id, d, err, time.Since(start)}
		}()
	}
	out := map[int64]result{}
	for range es {
		r := <-ch
		out[r.id] = r
	}
	return out
}

func TestElectorsElectHighest(t *testing.T) {
	ss := servers(t, 4, 1) // 1..3 vote, 4 observes
	es := map[int64]*Elector{}
	for _, s := range ss {
		es[s.ID] = startElector(t, ss, s.ID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := lookAll(ctx, es, election.Proposal{LastZxid: 0x100000002, CurrentEpoch: 1})
	want := map[int64]wire.ServerState{1: wire.Following, 2: wire.Following, 3: wire.Leading, 4: wire.Observing}
	for id, r := range res {
		if r.err != nil {
			t.Fatalf("server %d: %v", id, r.err)
		}
		if r.d.Vote.Leader != 3 || r.d.State != want[id] || r.d.Vote.Zxid != 0x100000002 || r.d.Vote.PeerEpoch != 1 {
			t.Errorf("server %d decided %v %v, want %v of 3", id, r.d.State, r.d.Vote, want[id])
		}
		t.Logf("server %d: %v %v in %v", id, r.d.State, r.d.Vote, r.took)
	}

	// A server whose role ended looks again and finds the established leader through the
	// others' FOLLOWING/LEADING answers.
	start := time.Now()
	d, err := es[1].LookForLeader(ctx, election.Proposal{LastZxid: 0x100000002, CurrentEpoch: 1})
	if err != nil || d.Vote.Leader != 3 || d.State != wire.Following {
		t.Fatalf("rejoin: %v %v %v", d.State, d.Vote, err)
	}
	t.Logf("rejoined in %v", time.Since(start))
	st, err := es[3].Status()
	if err != nil || st.State != wire.Leading || st.Looking {
		t.Fatalf("leader status %+v %v", st, err)
	}
}

// rawPeer is a hand-driven election peer on a raw TCP connection.
type rawPeer struct {
	c net.Conn
	r *bufio.Reader
}

func (p *rawPeer) writeFrame(t testing.TB, payload []byte) {
	t.Helper()
	if _, err := p.c.Write(wire.AppendElectionFrame(nil, payload)); err != nil {
		t.Fatal(err)
	}
}

func (p *rawPeer) readNotification(t testing.TB) wire.Notification {
	t.Helper()
	p.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	f, err := wire.ReadElectionFrame(p.r, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := wire.DecodeNotification(f)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func dialRaw(t testing.TB, addr string, hello []byte) *rawPeer {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Write(hello); err != nil {
		t.Fatal(err)
	}
	return &rawPeer{c: c, r: bufio.NewReader(c)}
}

func newTransport(t testing.TB, id int64, peers map[int64]string) *Transport {
	t.Helper()
	ports, err := oracle.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	tr := New(Config{MyID: id, Addr: "127.0.0.1:" + strconv.Itoa(ports[0]), Peers: peers, Logger: testLogger(t)})
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func waitMessage(t testing.TB, tr *Transport) Message {
	t.Helper()
	select {
	case <-tr.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
	}
	m, ok := tr.Poll()
	if !ok {
		t.Fatal("Ready without a message")
	}
	return m
}

// A 3.4 peer (bare sid, 40-byte notifications) with a higher sid keeps its connection; its
// messages arrive, and ours reach it.
func TestTransportLegacyPeer(t *testing.T) {
	tr := newTransport(t, 1, nil)
	p := dialRaw(t, tr.Addr().String(), wire.AppendLegacyInitialMessage(nil, 5))
	v1 := make([]byte, 40)
	binary.BigEndian.PutUint64(v1[4:], 5)
	binary.BigEndian.PutUint32(v1[36:], 1)
	p.writeFrame(t, v1)
	m := waitMessage(t, tr)
	if m.From != 5 || len(m.Payload) != 40 {
		t.Fatalf("got %+v", m)
	}
	out := wire.Notification{State: wire.Looking, Leader: 1, Zxid: 7, ElectionEpoch: 2, PeerEpoch: 0, Config: []byte("version=0")}
	tr.Send(5, wire.AppendNotification(nil, &out))
	if got := p.readNotification(t); got.Leader != 1 || got.Zxid != 7 || string(got.Config) != "version=0" {
		t.Fatalf("3.4 peer read %+v", got)
	}
}

// The tie-break: a lower sid's connection is closed and dialled back, so messages flow both
// ways over the higher sid's connection only; our own sid is refused.
func TestTransportTieBreak(t *testing.T) {
	ports, err := oracle.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	a1, a2 := "127.0.0.1:"+strconv.Itoa(ports[0]), "127.0.0.1:"+strconv.Itoa(ports[1])
	t1 := New(Config{MyID: 1, Addr: a1, Peers: map[int64]string{2: a2}})
	t2 := New(Config{MyID: 2, Addr: a2, Peers: map[int64]string{1: a1}})
	for _, tr := range []*Transport{t1, t2} {
		if err := tr.Start(); err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
	}
	// Server 1 speaks first: its connection is refused, server 2 dials back, and the message
	// waiting in server 1's slot goes out on that connection.
	t1.Send(2, []byte("from 1"))
	if m := waitMessage(t, t2); m.From != 1 || string(m.Payload) != "from 1" {
		t.Fatalf("server 2 got %+v", m)
	}
	t2.Send(1, []byte("from 2"))
	if m := waitMessage(t, t1); m.From != 2 || string(m.Payload) != "from 2" {
		t.Fatalf("server 1 got %+v", m)
	}
	// A connection claiming server 1's own sid is closed without a word.
	p := dialRaw(t, a1, wire.AppendInitialMessage(nil, 1, a1))
	p.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := p.r.ReadByte(); err != io.EOF {
		t.Fatalf("own sid: read %v, want EOF", err)
	}
	// A lower sid is closed and dialled back at the address it announced when it is not
	// configured.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	low := dialRaw(t, a2, wire.AppendInitialMessage(nil, 0, ln.Addr().String()))
	low.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := low.r.ReadByte(); err != io.EOF {
		t.Fatalf("lower sid: read %v, want EOF", err)
	}
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	back, err := ln.Accept()
	if err != nil {
		t.Fatalf("no dial-back: %v", err)
	}
	defer back.Close()
	m, err := wire.ReadInitialMessage(back)
	if err != nil || m.ProtocolVersion != wire.ElectionProtocolV1 || m.Sid != 2 || len(m.Addrs) != 1 || m.Addrs[0] != a2 {
		t.Fatalf("dial-back initial message %+v %v", m, err)
	}
}

// The send slot holds one message: newer ones replace unsent ones. A new connection whose
// slot is empty first re-sends the last message sent.
func TestTransportSendSlot(t *testing.T) {
	ports, err := oracle.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	peerAddr := "127.0.0.1:" + strconv.Itoa(ports[0])
	tr := newTransport(t, 2, map[int64]string{1: peerAddr})
	for i := range 3 {
		tr.Send(1, []byte(fmt.Sprint("m", i))) // nobody listens yet: the dials fail
	}
	ln, err := net.Listen("tcp", peerAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accept := func() *rawPeer {
		t.Helper()
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
		for {
			tr.ConnectAll()
			c, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(c)
			if _, err := wire.ReadInitialMessage(r); err != nil {
				t.Fatal(err)
			}
			return &rawPeer{c: c, r: r}
		}
	}
	readFrame := func(p *rawPeer) string {
		t.Helper()
		p.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		f, err := wire.ReadElectionFrame(p.r, nil)
		if err != nil {
			t.Fatal(err)
		}
		return string(f)
	}
	p := accept()
	if got := readFrame(p); got != "m2" {
		t.Fatalf("first frame %q, want the newest, m2", got)
	}
	p.c.Close()
	for tr.Connected(1) {
		time.Sleep(10 * time.Millisecond)
	}
	p = accept()
	defer p.c.Close()
	if got := readFrame(p); got != "m2" {
		t.Fatalf("after reconnecting: %q, want m2 again", got)
	}
	tr.Send(1, []byte("m3"))
	if got := readFrame(p); got != "m3" {
		t.Fatalf("then %q, want m3", got)
	}
}

// Self-messages loop back; the receive queue keeps the newest 100.
func TestTransportReceiveQueue(t *testing.T) {
	tr := newTransport(t, 1, nil)
	for i := range 150 {
		tr.Send(1, []byte(strconv.Itoa(i)))
	}
	var got []string
	for {
		m, ok := tr.Poll()
		if !ok {
			break
		}
		if m.From != 1 {
			t.Fatalf("from %d", m.From)
		}
		got = append(got, string(m.Payload))
	}
	if len(got) != RecvCapacity || got[0] != "50" || got[99] != "149" {
		t.Fatalf("kept %d messages, %v ... %v", len(got), got[0], got[len(got)-1])
	}
}

// Frames of length 0 or over 512 KiB end the connection.
func TestTransportFrameLimits(t *testing.T) {
	tr := newTransport(t, 1, nil)
	for _, n := range []int32{0, -3, wire.ElectionMaxFrame + 1} {
		p := dialRaw(t, tr.Addr().String(), wire.AppendInitialMessage(nil, 9, "127.0.0.1:1"))
		p.c.Write(binary.BigEndian.AppendUint32(nil, uint32(n)))
		p.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		// The transport may first send nothing (empty slot, no last message): the read
		// sees the close.
		if _, err := p.r.ReadByte(); err != io.EOF {
			t.Fatalf("length %d: read %v, want EOF", n, err)
		}
	}
	p := dialRaw(t, tr.Addr().String(), wire.AppendInitialMessage(nil, 9, "127.0.0.1:1"))
	p.writeFrame(t, make([]byte, wire.ElectionMaxFrame))
	if m := waitMessage(t, tr); len(m.Payload) != wire.ElectionMaxFrame {
		t.Fatalf("max frame: %d bytes", len(m.Payload))
	}
}

// A busy election port is tried again a second later.
func TestTransportBindRetry(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	tr := New(Config{MyID: 1, Addr: addr, BindRetry: 3})
	defer tr.Close()
	go func() {
		time.Sleep(1500 * time.Millisecond)
		ln.Close()
	}()
	start := time.Now()
	if err := tr.Start(); err != nil {
		t.Fatalf("after %v: %v", time.Since(start), err)
	}
	if took := time.Since(start); took < time.Second {
		t.Fatalf("bound after %v while the port was busy", took)
	}
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	tr2 := New(Config{MyID: 1, Addr: ln2.Addr().String(), BindRetry: 2})
	if err := tr2.Start(); err == nil {
		t.Fatal("bound a busy port")
	}
}

func TestConfigText(t *testing.T) {
	c, err := config.Parse(strings.NewReader("dataDir=/tmp/x\n" +
		"server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182\n" +
		"server.1=127.0.0.1:2888:3888;2181\n" +
		"server.3=localhost:2890:3890:observer\n"))
	if err != nil {
		t.Fatal(err)
	}
	ss := append(c.Servers, config.Server{ID: 10, Host: "::1", QuorumPort: 2891, ElectionPort: 3891})
	got := string(ConfigText(ss, 0x100000000))
	want := "server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\n" +
		"server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182\n" +
		"server.3=localhost:2890:3890:observer\n" +
		"server.10=[::1]:2891:3891:participant\n" +
		"version=100000000"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// The adapter for server/quorum: after Settle, a server that looks again learns the new epoch
// from the others' answers.
func TestQuorumElectorSettle(t *testing.T) {
	ss := servers(t, 3, 0)
	q := map[int64]QuorumElector{}
	for _, s := range ss {
		q[s.ID] = QuorumElector{startElector(t, ss, s.ID)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	leaders := make(chan int64, 3)
	for _, e := range q {
		go func() {
			l, err := e.LookForLeader(ctx, 0x100000009, 1)
			if err != nil {
				t.Error(err)
			}
			leaders <- l
		}()
	}
	for range 3 {
		if l := <-leaders; l != 3 {
			t.Fatalf("leader %d, want 3", l)
		}
	}
	q[3].Settle(3, 2<<32, 2, true)
	q[2].Settle(3, 0x100000009, 2, false)
	d, err := q[1].E.LookForLeader(ctx, election.Proposal{LastZxid: 0x100000009, CurrentEpoch: 1})
	if err != nil || d.Vote.Leader != 3 || d.Vote.PeerEpoch != 2 || d.Vote.Zxid != 0x100000009 || d.State != wire.Following {
		t.Fatalf("after Settle: %v %v %v", d.State, d.Vote, err)
	}
	st, err := q[3].E.Status()
	if err != nil || st.State != wire.Leading || st.Vote.PeerEpoch != 2 || st.Vote.ElectionEpoch != 1 {
		t.Fatalf("leader status %+v %v", st, err)
	}
}
