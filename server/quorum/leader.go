package quorum

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/node"
	"github.com/zkgo/zkgo/server/zab"
)

// leaderTicksPerTick: the leader's core ticks twice per tickTime, as Java's leader PINGs its
// learners and checks its quorum every half tick.
const leaderTicksPerTick = 2

// leading is one leadership as the quorum peer sees it: the zab core's Leader runs inside the
// node (node.StartLeading), stepped by the learner handlers' packets and by ticks; these are
// its hooks (epoch files, NEWLEADER's config, the moments it is established and ends).
type leading struct {
	p           *Peer
	established chan int64
	done        chan error

	mu       sync.Mutex
	handlers map[*learnerHandler]bool
}

func (l *leading) AcceptedEpoch(e int64) error { return l.p.setAcceptedEpoch(e) }

func (l *leading) CurrentEpoch(e int64) error {
	if err := l.p.setCurrentEpoch(e); err != nil {
		return err
	}
	stampConfig(l.p.Node, e<<32)
	return nil
}

func (l *leading) NewLeaderConfig() []byte { return newLeaderConfig(l.p.Node) }

func (l *leading) Established(epoch int64) {
	select {
	case l.established <- epoch:
	default:
	}
}

func (l *leading) Done(err error) {
	select {
	case l.done <- err:
	default:
	}
}

// lead runs one leadership until the core steps down, the listener fails or ctx ends.
func (p *Peer) lead(ctx context.Context) error {
	self, _ := p.Self()
	host := self.Host
	if p.Cfg.Props["quorumListenOnAllIPs"] == "true" {
		host = ""
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(self.QuorumPort)))
	if err != nil {
		return fmt.Errorf("quorum: leader listen: %w", err)
	}
	l := &leading{p: p, established: make(chan int64, 1), done: make(chan error, 1), handlers: map[*learnerHandler]bool{}}
	defer func() {
		ln.Close()
		l.mu.Lock()
		for h := range l.handlers {
			h.conn.Close()
		}
		l.mu.Unlock()
	}()
	var observers []int64
	p.mu.Lock()
	for _, s := range p.Cfg.Servers {
		if s.Observer {
			observers = append(observers, s.ID)
		}
	}
	p.mu.Unlock()
	opts := node.LeadOptions{Voters: p.voters(), Observers: observers, TicksPerTick: leaderTicksPerTick,
		InitLimit: p.Cfg.InitLimit, SyncLimit: p.Cfg.SyncLimit, ProtocolVersion: ProtocolVersion,
		AcceptedEpoch: p.acceptedEpoch, CurrentEpoch: p.currentEpoch, Hooks: l}
	p.Node.Do(func() { p.Node.StartLeading(opts) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h := &learnerHandler{l: l, conn: c}
			l.mu.Lock()
			l.handlers[h] = true
			l.mu.Unlock()
			go h.run()
		}
	}()
	ticker := time.NewTicker(p.tick() / leaderTicksPerTick)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-l.done:
			return fmt.Errorf("quorum: %w", err)
		case epoch := <-l.established:
			p.Elector.Settle(p.MyID, epoch<<32, epoch, true)
			p.Logger.Info("leading", "epoch", epoch)
		case <-ticker.C:
			p.Node.Do(p.Node.LeaderTick)
		}
	}
}

// learnerHandler reads one learner connection on the leader and steps its packets into the
// node's leader core; what the core sends it goes out through its sender.
type learnerHandler struct {
	l    *leading
	conn net.Conn
	out  *sender
	sid  int64
}

func (h *learnerHandler) Send(pkt *records.QuorumPacket)                 { h.out.Send(pkt) }
func (h *learnerHandler) SendSnap(pkt *records.QuorumPacket, raw []byte) { h.out.send(pkt, raw) }
func (h *learnerHandler) Close()                                         { h.conn.Close() }

func (h *learnerHandler) run() {
	l, p := h.l, h.l.p
	registered := false
	defer func() {
		h.conn.Close()
		l.mu.Lock()
		delete(l.handlers, h)
		l.mu.Unlock()
		if registered {
			p.Node.Do(func() { p.Node.LeaderRemove(h, h.sid) })
		}
	}()
	if err := h.serve(&registered); err != nil {
		p.Logger.Info("learner handler ended", "sid", h.sid, "err", err)
	}
}

func (h *learnerHandler) serve(registered *bool) error {
	p := h.l.p
	initLimit := time.Duration(p.Cfg.InitLimit) * p.tick()
	syncLimit := time.Duration(p.Cfg.SyncLimit) * p.tick()
	if tc, ok := h.conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	br := bufio.NewReaderSize(h.conn, 64<<10)
	h.out = newSender(h.conn)
	defer h.out.close()
	deadline(h.conn, initLimit)
	pkt, err := readPacket(br)
	if err != nil {
		return err
	}
	if pkt.Type != node.PktFollowerInfo && pkt.Type != node.PktObserverInfo {
		return fmt.Errorf("first packet is type %d, not FOLLOWERINFO/OBSERVERINFO", pkt.Type)
	}
	if h.sid, err = jute.NewDecoder(pkt.Data).Long(); err != nil {
		return fmt.Errorf("LearnerInfo: %w", err)
	}
	*registered = true
	h.step(pkt)
	// initLimit until the learner acked NEWLEADER, syncLimit after (LearnerHandler's socket
	// timeouts); the core drops a learner silent for longer, too.
	limit := initLimit
	for {
		deadline(h.conn, limit)
		pkt, err := readPacket(br)
		if err != nil {
			return err
		}
		switch pkt.Type {
		case node.PktAck:
			if pkt.Zxid&0xffffffff == 0 {
				limit = syncLimit
			}
			h.step(pkt)
		case node.PktPing:
			data := pkt.Data
			p.Node.Do(func() {
				p.Node.LeaderTouch(data)
				p.Node.LeaderStep(h, zab.Message{From: h.sid, Type: zab.Ping})
			})
		case node.PktRevalidate:
			data := pkt.Data
			p.Node.Do(func() {
				p.Node.LeaderRevalidate(h, data)
				p.Node.LeaderStep(h, zab.Message{From: h.sid, Type: zab.Revalidate})
			})
		case node.PktRequest:
			var rerr error
			data, auth := pkt.Data, pkt.Authinfo
			p.Node.Do(func() {
				rerr = p.Node.LeaderRequest(h, data, auth)
				p.Node.LeaderStep(h, zab.Message{From: h.sid, Type: zab.Request})
			})
			if rerr != nil {
				p.Logger.Warn("bad REQUEST from learner", "sid", h.sid, "err", rerr)
			}
		default:
			h.step(pkt)
		}
	}
}

// step hands a packet to the leader core as a message from this learner (ACKEPOCH's data is
// the learner's currentEpoch).
func (h *learnerHandler) step(pkt *records.QuorumPacket) {
	m := zab.Message{From: h.sid, Type: zab.MsgType(pkt.Type), Zxid: pkt.Zxid, Epoch: -1}
	if pkt.Type == node.PktAckEpoch && len(pkt.Data) >= 4 {
		v, _ := jute.NewDecoder(pkt.Data).Int()
		m.Epoch = int64(v)
	}
	p := h.l.p
	p.Node.Do(func() { p.Node.LeaderStep(h, m) })
}
