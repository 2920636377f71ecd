package transport

import (
	"context"

	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/election"
	"github.com/zkgo/zkgo/wire"
)

// QuorumElector adapts an Elector to the Elector interface of server/quorum (the quorum
// peer): LookForLeader returns the leader's sid, and Settle is SetVote in the terms the peer
// has at hand.
type QuorumElector struct{ E *Elector }

// LookForLeader runs one election and returns the leader's sid.
func (q QuorumElector) LookForLeader(ctx context.Context, lastZxid, currentEpoch int64) (int64, error) {
	d, err := q.E.LookForLeader(ctx, election.Proposal{LastZxid: lastZxid, CurrentEpoch: currentEpoch})
	return d.Vote.Leader, err
}

// SetConfig switches the elector to an activated config (quorum.ConfigSetter).
func (q QuorumElector) SetConfig(servers []config.Server, version int64) error {
	return q.E.SetConfig(servers, version)
}

// Settle tells LOOKING peers from now on that leader leads in epoch: LEADING when leading,
// else FOLLOWING (OBSERVING for an observer). When leader is the one elected, the vote keeps
// the elected zxid and round and only its peerEpoch changes, as QuorumPeer.updateElectionVote
// does; otherwise it becomes (leader, zxid, epoch) in the current round.
func (q QuorumElector) Settle(leader, zxid, epoch int64, leading bool) {
	e := q.E
	e.do(context.Background(), func() {
		state := wire.Following
		switch {
		case leading:
			state = wire.Leading
		case e.observer:
			state = wire.Observing
		}
		v := e.core.CurrentVote()
		if v.Leader != leader || e.core.Looking() {
			v = election.Vote{Leader: leader, Zxid: zxid, ElectionEpoch: e.core.LogicalClock()}
		}
		v.PeerEpoch = epoch
		if err := e.core.SetVote(state, v); err != nil {
			e.log.Warn("settle", "err", err)
		}
	})
}
