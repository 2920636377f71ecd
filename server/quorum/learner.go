package quorum

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/server/node"
	"github.com/zkgo/zkgo/server/zab"
	"github.com/zkgo/zkgo/wire"
)

// follow connects to the leader and follows (or observes) until the connection fails.
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

	// Discovery.
	infoType := node.PktFollowerInfo
	if observer {
		infoType = node.PktObserverInfo
	}
	var cfgVersion int64
	p.Node.Do(func() {
		if c, _ := p.Node.Config(); c != nil {
			cfgVersion = c.Version
		}
	})
	li := records.LearnerInfo{ServerID: p.MyID, ProtocolVersion: ProtocolVersion, ConfigVersion: cfgVersion}
	out.Send(&records.QuorumPacket{Type: infoType, Zxid: p.acceptedEpoch << 32, Data: jute.Marshal(&li)})
	deadline(conn, initLimit)
	pkt, err := readPacket(br)
	if err != nil {
		return fmt.Errorf("quorum: reading LEADERINFO: %w", err)
	}
	if pkt.Type != node.PktLeaderInfo {
		return fmt.Errorf("quorum: expected LEADERINFO, got packet type %d", pkt.Type)
	}
	newEpoch := zab.Epoch(pkt.Zxid)
	accept, ackEpoch, err := zab.AcceptLeaderInfo(newEpoch, p.acceptedEpoch, p.currentEpoch)
	if err != nil {
		return err
	}
	if accept {
		if err := p.setAcceptedEpoch(newEpoch); err != nil {
			return err
		}
	}
	ackData := int32(ackEpoch)
	var last int64
	p.Node.Do(func() { last = p.Node.LastZxid() })
	out.Send(&records.QuorumPacket{Type: node.PktAckEpoch, Zxid: last, Data: jute.AppendInt(nil, ackData)})

	// Synchronisation.
	role := node.RoleFollower
	if observer {
		role = node.RoleObserver
	}
	p.Node.Do(func() {
		p.Node.SetRole(role, out)
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
		var terr error
		p.Node.Do(func() { terr = p.Node.Truncate(pkt.Zxid) })
		if terr != nil {
			return fmt.Errorf("quorum: TRUNC to %s: %w", hex(pkt.Zxid), terr)
		}
	default:
		return fmt.Errorf("quorum: expected DIFF, TRUNC or SNAP, got packet type %d", pkt.Type)
	}
	var newLeaderQV *config.Verifier
	for synced := false; !synced; {
		if pkt, err = readPacket(br); err != nil {
			return fmt.Errorf("quorum: sync: %w", err)
		}
		if handled, err := p.replicate(pkt); handled {
			if err != nil {
				return err
			}
			continue
		}
		switch pkt.Type {
		case node.PktNewLeader:
			if err := p.setCurrentEpoch(newEpoch); err != nil {
				return err
			}
			if v, err := config.ParseVerifier(string(pkt.Data)); len(pkt.Data) > 1 && err == nil {
				newLeaderQV = v
				p.Node.Do(func() { p.Node.SetLastSeenConfig(v) })
			}
			deadline(conn, syncLimit)
			out.Send(&records.QuorumPacket{Type: node.PktAck, Zxid: newEpoch << 32})
		case node.PktUpToDate:
			synced = true
		}
	}
	if newLeaderQV != nil {
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
	out.Send(&records.QuorumPacket{Type: node.PktAck, Zxid: newEpoch << 32})
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
		if handled, err := p.replicate(pkt); handled {
			if err != nil {
				return err
			}
			continue
		}
		switch pkt.Type {
		case node.PktPing:
			var touches []byte
			p.Node.Do(func() { touches = p.Node.TouchedSessions() })
			out.Send(&records.QuorumPacket{Type: node.PktPing, Zxid: pkt.Zxid, Data: touches})
		case node.PktSync:
			p.Node.Do(p.Node.LearnerSync)
		case node.PktRevalidate:
			d := jute.NewDecoder(pkt.Data)
			sid, _ := d.Long()
			valid, _ := d.Bool()
			p.Node.Do(func() { p.Node.LearnerRevalidate(sid, valid) })
		}
	}
}

// replicate handles the packets that carry txns, the same during sync and broadcast:
// PROPOSAL (log, ACK once durable), INFORM (observers: log and apply) and COMMIT.
func (p *Peer) replicate(pkt *records.QuorumPacket) (handled bool, err error) {
	switch pkt.Type {
	case node.PktProposal, node.PktInform:
		p.Node.Do(func() { err = p.Node.LearnerProposal(pkt.Data, pkt.Type == node.PktInform) })
		return true, err
	case node.PktCommitAndActivate, node.PktInformAndActivate:
		var leave bool
		p.Node.Do(func() {
			leave, err = p.Node.LearnerCommitAndActivate(pkt.Zxid, pkt.Data, pkt.Type == node.PktInformAndActivate)
		})
		if err == nil && leave {
			err = fmt.Errorf("quorum: reconfig %s changes this server's role or leader", hex(pkt.Zxid))
		}
		return true, err
	case node.PktCommit:
		p.Node.Do(func() { p.Node.LearnerCommit(pkt.Zxid) })
		return true, nil
	}
	return false, nil
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
