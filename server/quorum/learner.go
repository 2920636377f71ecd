package quorum

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/server/node"
	"github.com/zkgo/zkgo/server/zab"
	"github.com/zkgo/zkgo/wire"
)

// follow connects to the leader and follows (or observes) until the connection fails. The
// protocol is the zab core's Learner: every packet it knows is stepped into it, and what it
// decides (epoch files, truncation, log appends, commits, the packets to send and which of
// them wait for the log to be durable, leaving the role) is carried out here by a
// learnerDriver. What the core does not model is handled beside it: the LearnerInfo and
// session touches the packets carry, the SNAP stream, the configs of NEWLEADER and
// COMMITANDACTIVATE, SYNC and REVALIDATE. Timeouts are socket deadlines (initLimit until
// UPTODATE, syncLimit after): they stand for the core's ticks.
func (p *Peer) follow(ctx context.Context, leader int64, observer bool) error {
	ls, ok := p.server(leader)
	if !ok {
		return fmt.Errorf("quorum: leader %d is not in the config", leader)
	}
	initLimit := time.Duration(p.Cfg.InitLimit) * p.tick()
	syncLimit := time.Duration(p.Cfg.SyncLimit) * p.tick()
	var conn net.Conn
	var err error
	for try := 0; try < 5; try++ {
		conn, err = net.DialTimeout("tcp", p.quorumAddr(ls), initLimit)
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err != nil {
		return fmt.Errorf("quorum: connect to leader %d: %w", leader, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	br := bufio.NewReaderSize(conn, 64<<10)
	out := newSender(conn)
	defer out.close()

	var cfgVersion, last int64
	p.Node.Do(func() {
		if c, _ := p.Node.Config(); c != nil {
			cfgVersion = c.Version
		}
		last = p.Node.LastZxid()
	})
	d := &learnerDriver{p: p, out: out, leader: leader, cfgVersion: cfgVersion,
		core: zab.NewLearner(zab.LearnerConfig{ID: p.MyID, Leader: leader, Observer: observer, InitLimit: p.Cfg.InitLimit, SyncLimit: p.Cfg.SyncLimit},
			zab.LearnerState{AcceptedEpoch: p.acceptedEpoch, CurrentEpoch: p.currentEpoch, LastZxid: last})}
	if err := d.advance(false); err != nil { // FOLLOWERINFO / OBSERVERINFO
		return err
	}

	// Discovery.
	deadline(conn, initLimit)
	pkt, err := readPacket(br)
	if err != nil {
		return fmt.Errorf("quorum: reading LEADERINFO: %w", err)
	}
	if pkt.Type != node.PktLeaderInfo {
		return fmt.Errorf("quorum: expected LEADERINFO, got packet type %d", pkt.Type)
	}
	if err := d.step(pkt); err != nil { // acceptedEpoch, then ACKEPOCH
		return err
	}
	newEpoch := d.core.NewEpoch()

	// Synchronisation.
	role := node.RoleFollower
	if observer {
		role = node.RoleObserver
	}
	p.Node.Do(func() {
		p.Node.SetRole(role, d)
		p.Node.SetLeaderID(leader)
		p.Node.SetServing(false)
	})
	if pkt, err = readPacket(br); err != nil {
		return fmt.Errorf("quorum: reading sync mode: %w", err)
	}
	switch pkt.Type {
	case node.PktDiff:
		p.Logger.Info("sync with leader: DIFF", "zxid", hex(pkt.Zxid))
	case node.PktSnap:
		p.Logger.Info("sync with leader: SNAP", "zxid", hex(pkt.Zxid))
		if err := p.readSnap(br, pkt.Zxid); err != nil {
			return err
		}
	case node.PktTrunc:
		p.Logger.Info("sync with leader: TRUNC", "zxid", hex(pkt.Zxid))
	default:
		return fmt.Errorf("quorum: expected DIFF, TRUNC or SNAP, got packet type %d", pkt.Type)
	}
	if err := d.step(pkt); err != nil {
		return err
	}
	var newLeaderQV *config.Verifier
	for !d.core.Synced() {
		if pkt, err = readPacket(br); err != nil {
			return fmt.Errorf("quorum: sync: %w", err)
		}
		if pkt.Type == node.PktNewLeader {
			if v, err := config.ParseVerifier(string(pkt.Data)); len(pkt.Data) > 1 && err == nil {
				newLeaderQV = v
				p.Node.Do(func() { p.Node.SetLastSeenConfig(v) })
			}
			deadline(conn, syncLimit)
		}
		if pkt.Type == node.PktUpToDate && newLeaderQV != nil {
			// Learner.syncWithLeader at UPTODATE: processReconfig of the leader's config.
			var leave bool
			p.Node.Do(func() {
				prev, _ := p.Node.Config()
				changed, roleChange := p.Node.ActivateConfig(newLeaderQV)
				leave = changed && (roleChange || leaderChanged(prev, newLeaderQV, leader))
			})
			if leave {
				return fmt.Errorf("quorum: the leader's config changes this server's role or leader")
			}
		}
		if err := d.packet(pkt); err != nil { // UPTODATE: its ACK
			return err
		}
	}
	p.Node.Do(func() { p.Node.SetServing(true); last = p.Node.LastZxid() })
	p.Elector.Settle(leader, last, newEpoch, false)
	p.Logger.Info("following", "leader", leader, "epoch", newEpoch, "observer", observer)

	// Broadcast.
	for {
		deadline(conn, syncLimit)
		pkt, err := readPacket(br)
		if err != nil {
			return fmt.Errorf("quorum: leader connection: %w", err)
		}
		if err := d.packet(pkt); err != nil {
			return err
		}
	}
}

// learnerDriver carries out the zab core's decisions for one following. It is also the node's
// link to the leader (forwarded requests go out on the same sender) and hears, through
// Durable, how far the node's log is on disk: the packets the core holds until then (the ACKs
// of proposals and of NEWLEADER) leave at that moment, so reading from the leader never waits
// for an fsync.
type learnerDriver struct {
	p          *Peer
	core       *zab.Learner
	out        *sender
	leader     int64
	cfgVersion int64
	touches    []byte // the next PING reply's session data

	mu       sync.Mutex
	durable  int64 // the highest zxid the node reported durable
	appended int64 // the highest zxid handed to the node's log in this following
	held     []heldPackets
}

// heldPackets wait until the node's log is durable up to need.
type heldPackets struct {
	need int64
	msgs []zab.Message
}

// Send forwards a packet to the leader (node.LeaderLink).
func (d *learnerDriver) Send(pkt *records.QuorumPacket) { d.out.Send(pkt) }

// Durable is told, inside a node step, that the log is durable up to zxid (node.DurableLink).
func (d *learnerDriver) Durable(zxid int64) {
	d.mu.Lock()
	d.durable = max(d.durable, zxid)
	var ready []zab.Message
	i := 0
	for ; i < len(d.held) && d.held[i].need <= d.durable; i++ {
		ready = append(ready, d.held[i].msgs...)
	}
	d.held = d.held[i:]
	d.mu.Unlock()
	d.send(ready)
}

// packet handles one packet from the leader during sync or broadcast.
func (d *learnerDriver) packet(pkt *records.QuorumPacket) error {
	p := d.p
	switch pkt.Type {
	case node.PktCommitAndActivate, node.PktInformAndActivate:
		// A reconfig's commit (or an observer's inform of it): the core takes the commit (or
		// the inform); the node logs, activates and applies it.
		m := zab.Message{Type: zab.Commit, Zxid: pkt.Zxid}
		if pkt.Type == node.PktInformAndActivate {
			m = zab.Message{Type: zab.Inform, Zxid: pkt.Zxid, Data: afterLong(pkt.Data)}
		}
		if err := d.stepMsg(m, true); err != nil {
			return err
		}
		var leave bool
		var err error
		p.Node.Do(func() {
			leave, err = p.Node.LearnerCommitAndActivate(pkt.Zxid, pkt.Data, pkt.Type == node.PktInformAndActivate)
		})
		if err == nil && leave {
			err = fmt.Errorf("quorum: reconfig %s changes this server's role or leader", hex(pkt.Zxid))
		}
		return err
	case node.PktPing:
		p.Node.Do(func() { d.touches = p.Node.TouchedSessions() })
	case node.PktSync:
		p.Node.Do(p.Node.LearnerSync)
		return nil
	case node.PktRevalidate:
		dec := jute.NewDecoder(pkt.Data)
		sid, _ := dec.Long()
		valid, _ := dec.Bool()
		p.Node.Do(func() { p.Node.LearnerRevalidate(sid, valid) })
		return nil
	}
	return d.step(pkt)
}

// afterLong is what follows the leading long of an INFORMANDACTIVATE's data (the suggested
// leader): the txn.
func afterLong(data []byte) []byte {
	if len(data) < 8 {
		return nil
	}
	return data[8:]
}

// step hands a packet to the core and carries out what it decides.
func (d *learnerDriver) step(pkt *records.QuorumPacket) error {
	return d.stepMsg(zab.Message{Type: zab.MsgType(pkt.Type), Zxid: pkt.Zxid, Epoch: -1, Data: pkt.Data}, false)
}

// stepMsg steps m; activate marks a reconfig's commit or inform, whose txn the node logs and
// applies itself (LearnerCommitAndActivate) rather than through the Ready.
func (d *learnerDriver) stepMsg(m zab.Message, activate bool) error {
	m.From, m.To = d.leader, d.p.MyID
	d.core.Step(m)
	return d.advance(activate)
}

// advance carries out the core's Ready in its order: truncate (a SNAP is installed by then),
// append, epoch files, commit, send, then what waits for the log to be durable.
func (d *learnerDriver) advance(activate bool) error {
	p := d.p
	for d.core.HasReady() {
		rd := d.core.Ready()
		if rd.Truncate >= 0 {
			var err error
			p.Node.Do(func() { err = p.Node.Truncate(rd.Truncate) })
			if err != nil {
				return fmt.Errorf("quorum: TRUNC to %s: %w", hex(rd.Truncate), err)
			}
		}
		informed := map[int64]bool{} // appended and committed in one Ready: an INFORM
		for _, e := range rd.Commit {
			informed[e.Zxid] = true
		}
		commitTo := int64(-1)
		for _, e := range rd.Commit {
			commitTo = max(commitTo, e.Zxid)
		}
		for _, e := range rd.Append {
			if activate {
				continue // LearnerCommitAndActivate logs and applies it
			}
			var err error
			p.Node.Do(func() { err = p.Node.LearnerProposal(e.Data, informed[e.Zxid]) })
			if err != nil {
				return err
			}
			d.mu.Lock()
			d.appended = max(d.appended, e.Zxid)
			d.mu.Unlock()
		}
		if rd.AcceptedEpoch >= 0 {
			if err := p.setAcceptedEpoch(rd.AcceptedEpoch); err != nil {
				return err
			}
		}
		if rd.CurrentEpoch >= 0 {
			if err := p.setCurrentEpoch(rd.CurrentEpoch); err != nil {
				return err
			}
		}
		if commitTo >= 0 && !activate {
			p.Node.Do(func() { p.Node.LearnerCommit(commitTo) })
		}
		d.send(rd.Messages)
		if len(rd.AfterSync) > 0 {
			d.mu.Lock()
			if d.appended <= d.durable {
				d.mu.Unlock()
				d.send(rd.AfterSync)
			} else {
				d.held = append(d.held, heldPackets{need: d.appended, msgs: rd.AfterSync})
				d.mu.Unlock()
			}
		}
		d.core.Advance()
		if rd.Done != nil {
			return fmt.Errorf("quorum: %w", rd.Done)
		}
	}
	return nil
}

// send writes the core's messages as quorum packets, adding what the core leaves to the
// driver: the LearnerInfo of FOLLOWERINFO/OBSERVERINFO, ACKEPOCH's epoch, a PING reply's
// session touches.
func (d *learnerDriver) send(msgs []zab.Message) {
	for _, m := range msgs {
		pkt := &records.QuorumPacket{Type: int32(m.Type), Zxid: m.Zxid}
		switch m.Type {
		case zab.FollowerInfo, zab.ObserverInfo:
			li := records.LearnerInfo{ServerID: d.p.MyID, ProtocolVersion: ProtocolVersion, ConfigVersion: d.cfgVersion}
			pkt.Data = jute.Marshal(&li)
		case zab.AckEpoch:
			pkt.Data = jute.AppendInt(nil, int32(m.Epoch))
		case zab.Ping:
			pkt.Data, d.touches = d.touches, nil
		}
		d.out.Send(pkt)
	}
}

// readSnap reads the SNAP stream that follows a SNAP packet and installs it.
func (p *Peer) readSnap(br *bufio.Reader, zxid int64) error {
	r := wire.NewSnapStreamReader(br)
	r.MaxBuffer = maxPacketData
	sessions, err := r.Sessions()
	if err != nil {
		return fmt.Errorf("quorum: SNAP stream: %w", err)
	}
	tree, err := datatree.ReadSnapshot(r)
	if err != nil {
		return fmt.Errorf("quorum: SNAP stream: %w", err)
	}
	if _, err := r.Finish(); err != nil {
		return fmt.Errorf("quorum: SNAP stream: %w", err)
	}
	tree.LastZxid = zxid
	ss := map[int64]int32{}
	for _, s := range sessions {
		ss[s.ID] = s.Timeout
	}
	var serr error
	p.Node.Do(func() {
		p.Node.ReplaceTree(tree, ss)
		serr = p.Node.SaveSnapshot()
	})
	return serr
}

func hex(z int64) string { return fmt.Sprintf("0x%x", z) }
