package quorum

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/node"
	"github.com/zkgo/zkgo/server/zab"
)

// leading is the shared state of one leadership. The epoch negotiation (connected voters,
// new epoch, ACKEPOCH and NEWLEADER quorums) is the zab core's Negotiation, used under mu;
// newEpoch, epochDone and established publish its decisions once the leader has made them
// durable (epoch files) or acted on them.
type leading struct {
	p    *Peer
	mu   sync.Mutex
	cond *sync.Cond

	v           zab.Verifier
	neg         *zab.Negotiation
	newEpoch    int64 // -1 until decided and the acceptedEpoch file written
	epochDone   bool
	established bool
	over        bool
	handlers    map[*learnerHandler]bool
}

// waitFor waits on the cond until cond() or timeout or the leadership ends.
func (l *leading) waitFor(cond func() bool, timeout time.Duration) bool {
	t := time.AfterFunc(timeout, func() { l.mu.Lock(); l.cond.Broadcast(); l.mu.Unlock() })
	defer t.Stop()
	end := time.Now().Add(timeout)
	for !cond() && !l.over {
		if time.Now().After(end) {
			return false
		}
		l.cond.Wait()
	}
	return cond()
}

// lead runs one leadership.
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
	l := &leading{p: p, v: zab.NewVerifier(p.voters()), newEpoch: -1, handlers: map[*learnerHandler]bool{}}
	l.cond = sync.NewCond(&l.mu)
	var lastZxid int64
	p.Node.Do(func() { lastZxid = p.Node.LastZxid() })
	l.neg = zab.NewNegotiation(p.MyID, l.v, p.acceptedEpoch, p.currentEpoch, lastZxid)
	defer func() {
		ln.Close()
		l.mu.Lock()
		l.over = true
		for h := range l.handlers {
			h.conn.Close()
		}
		l.cond.Broadcast()
		l.mu.Unlock()
	}()
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
	initLimit := time.Duration(p.Cfg.InitLimit) * p.tick()
	syncLimit := time.Duration(p.Cfg.SyncLimit) * p.tick()

	l.mu.Lock()
	l.neg.Connect(p.MyID, p.acceptedEpoch)
	ok := l.waitFor(func() bool { return l.neg.NewEpoch() >= 0 }, initLimit)
	newEpoch := l.neg.NewEpoch()
	if !ok {
		l.mu.Unlock()
		return fmt.Errorf("quorum: no quorum of learners connected within initLimit")
	}
	// As Leader.getEpochToPropose: the acceptedEpoch file is written before any learner
	// hears the new epoch.
	if err := p.setAcceptedEpoch(newEpoch); err != nil {
		l.mu.Unlock()
		return err
	}
	l.newEpoch = newEpoch
	l.cond.Broadcast()
	ok = l.waitFor(l.neg.EpochAcked, initLimit)
	l.mu.Unlock()
	if !ok {
		return fmt.Errorf("quorum: no quorum of ACKEPOCH within initLimit")
	}
	if err := p.setCurrentEpoch(newEpoch); err != nil {
		return err
	}
	voters := p.voters()
	p.Node.Do(func() {
		p.Node.BecomeLeader(newEpoch, voters)
		stampConfig(p.Node, newEpoch<<32)
		p.Node.SetServing(false)
	})
	l.mu.Lock()
	l.epochDone = true
	l.neg.AckNewLeader(p.MyID)
	l.cond.Broadcast()
	ok = l.waitFor(l.neg.Established, initLimit)
	l.mu.Unlock()
	if !ok {
		return fmt.Errorf("quorum: no quorum of NEWLEADER acks within initLimit")
	}
	p.Node.Do(func() {
		_, last := p.Node.Config()
		p.Node.ActivateConfig(last) // Leader.lead: processReconfig of the NEWLEADER config
		p.Node.SetServing(true)
	})
	l.mu.Lock()
	l.established = true
	l.cond.Broadcast()
	l.mu.Unlock()
	p.Elector.Settle(p.MyID, newEpoch<<32, newEpoch, true)
	p.Logger.Info("leading", "epoch", newEpoch)

	// Broadcast phase: ping learners, step down without a quorum for syncLimit.
	ticker := time.NewTicker(p.tick() / 2)
	defer ticker.Stop()
	lastQuorum := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
		var zxid int64
		var stepDown bool
		p.Node.Do(func() { zxid, stepDown = p.Node.LastProposed(), p.Node.ReconfigStepDown() })
		if stepDown {
			return fmt.Errorf("quorum: a reconfig designated another leader; stepping down")
		}
		alive := map[int64]bool{p.MyID: true}
		l.mu.Lock()
		for h := range l.handlers {
			if h.synced.Load() {
				h.out.Send(&records.QuorumPacket{Type: node.PktPing, Zxid: zxid})
				if time.Since(time.Unix(0, h.lastHeard.Load())) < syncLimit {
					alive[h.sid] = true
				}
			}
		}
		l.mu.Unlock()
		if zab.NewVerifier(p.voters()).HasQuorumSet(alive) {
			lastQuorum = time.Now()
		} else if time.Since(lastQuorum) > syncLimit {
			return fmt.Errorf("quorum: lost the quorum of followers; stepping down")
		}
	}
}

// learnerHandler serves one learner connection on the leader.
type learnerHandler struct {
	l         *leading
	conn      net.Conn
	out       *sender
	sid       int64
	observer  bool
	synced    atomic.Bool
	lastHeard atomic.Int64
}

func (h *learnerHandler) ID() int64                      { return h.sid }
func (h *learnerHandler) Observer() bool                 { return h.observer }
func (h *learnerHandler) Send(pkt *records.QuorumPacket) { h.out.Send(pkt) }

func (h *learnerHandler) run() {
	l, p := h.l, h.l.p
	defer func() {
		h.conn.Close()
		l.mu.Lock()
		delete(l.handlers, h)
		l.mu.Unlock()
		p.Node.Do(func() { p.Node.LeaderDropLearner(h) })
	}()
	if err := h.serve(); err != nil {
		p.Logger.Info("learner handler ended", "sid", h.sid, "err", err)
	}
}

func (h *learnerHandler) serve() error {
	l, p := h.l, h.l.p
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
	h.observer = pkt.Type == node.PktObserverInfo
	d := jute.NewDecoder(pkt.Data)
	if h.sid, err = d.Long(); err != nil {
		return fmt.Errorf("LearnerInfo: %w", err)
	}
	if s, ok := p.server(h.sid); ok && s.Observer {
		h.observer = true
	}
	accepted := pkt.Zxid >> 32

	l.mu.Lock()
	if !h.observer && l.neg.Connect(h.sid, accepted) {
		l.cond.Broadcast()
	}
	ok := l.waitFor(func() bool { return l.newEpoch >= 0 }, initLimit)
	newEpoch := l.newEpoch
	l.mu.Unlock()
	if !ok {
		return fmt.Errorf("no epoch decided")
	}
	h.out.Send(&records.QuorumPacket{Type: node.PktLeaderInfo, Zxid: newEpoch << 32, Data: jute.AppendInt(nil, ProtocolVersion)})
	deadline(h.conn, initLimit)
	if pkt, err = readPacket(br); err != nil {
		return err
	}
	if pkt.Type != node.PktAckEpoch {
		return fmt.Errorf("expected ACKEPOCH, got type %d", pkt.Type)
	}
	peerLast := pkt.Zxid
	epoch := int64(-1)
	if len(pkt.Data) >= 4 {
		v, _ := jute.NewDecoder(pkt.Data).Int()
		epoch = int64(v)
	}
	l.mu.Lock()
	if h.observer {
		_, err = l.neg.AckEpoch(h.sid, -1, peerLast) // checked, never counted
	} else if _, err = l.neg.AckEpoch(h.sid, epoch, peerLast); err == nil {
		l.cond.Broadcast()
	}
	if err != nil {
		l.mu.Unlock()
		return err
	}
	ok = l.waitFor(func() bool { return l.epochDone }, initLimit)
	l.mu.Unlock()
	if !ok {
		return fmt.Errorf("epoch not established")
	}
	var cfgText []byte
	var plan *node.SyncPlan
	var perr error
	queue := func(plan *node.SyncPlan) {
		for _, pk := range plan.Packets {
			if pk.Type == node.PktSnap {
				h.out.send(pk, plan.Snap)
			} else {
				h.out.Send(pk)
			}
		}
	}
	p.Node.Do(func() {
		cfgText = newLeaderConfig(p.Node)
		plan, perr = p.Node.LeaderSyncLearner(h, peerLast, newEpoch, cfgText, queue)
	})
	if perr != nil {
		return perr
	}
	if plan == nil {
		return fmt.Errorf("not leading")
	}
	p.Logger.Info("syncing learner", "sid", h.sid, "mode", syncMode(plan.Packets[0].Type), "peerLastZxid", hex(peerLast))
	deadline(h.conn, initLimit)
	if pkt, err = readPacket(br); err != nil {
		return err
	}
	if pkt.Type != node.PktAck || pkt.Zxid != newEpoch<<32 {
		return fmt.Errorf("expected NEWLEADER ACK, got type %d zxid %s", pkt.Type, hex(pkt.Zxid))
	}
	l.mu.Lock()
	if !h.observer && l.neg.AckNewLeader(h.sid) {
		l.cond.Broadcast()
	}
	ok = l.waitFor(func() bool { return l.established }, initLimit)
	l.mu.Unlock()
	if !ok {
		return fmt.Errorf("leader not established")
	}
	h.out.Send(&records.QuorumPacket{Type: node.PktUpToDate, Zxid: -1})
	h.lastHeard.Store(time.Now().UnixNano())
	h.synced.Store(true)
	for {
		deadline(h.conn, syncLimit)
		pkt, err := readPacket(br)
		if err != nil {
			return err
		}
		h.lastHeard.Store(time.Now().UnixNano())
		switch pkt.Type {
		case node.PktAck:
			z := pkt.Zxid
			p.Node.Do(func() { p.Node.LeaderAck(h.sid, z) })
		case node.PktPing:
			data := pkt.Data
			p.Node.Do(func() { p.Node.LeaderTouch(data) })
		case node.PktRevalidate:
			data := pkt.Data
			p.Node.Do(func() { p.Node.LeaderRevalidate(h, data) })
		case node.PktRequest:
			var rerr error
			data, auth := pkt.Data, pkt.Authinfo
			p.Node.Do(func() { rerr = p.Node.LeaderRequest(h, data, auth) })
			if rerr != nil {
				p.Logger.Warn("bad REQUEST from learner", "sid", h.sid, "err", rerr)
			}
		}
	}
}

func syncMode(t int32) string {
	switch t {
	case node.PktDiff:
		return "DIFF"
	case node.PktTrunc:
		return "TRUNC"
	case node.PktSnap:
		return "SNAP"
	}
	return strconv.Itoa(int(t))
}
