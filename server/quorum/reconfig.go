package quorum

import (
	"fmt"

	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/node"
)

// ConfigSetter is an elector that can switch configuration (transport.Elector): a config that
// activates gives it its voters and config text.
type ConfigSetter interface {
	SetConfig(servers []config.Server, version int64) error
}

// Activated is the node's OnActivate hook: a config became active. The peer takes its
// servers (with reconfigEnabled writing zoo.cfg.dynamic.<version> and rewriting zoo.cfg, as
// QuorumPeer.setQuorumVerifier does) and the elector counts its voters from the next election
// on. Runs on the node loop.
func (p *Peer) Activated(v *config.Verifier) {
	p.mu.Lock()
	err := p.Cfg.Activate(v, p.MyID)
	p.mu.Unlock()
	if err != nil {
		p.log().Error("writing the dynamic config", "version", hex(v.Version), "err", err)
	}
	if el, ok := p.Elector.(ConfigSetter); ok {
		if err := el.SetConfig(v.Servers, v.Version); err != nil {
			p.log().Warn("elector config", "err", err)
		}
	}
	p.log().Info("config activated", "version", hex(v.Version), "voters", fmt.Sprint(v.Voters()))
}

// stampConfig is what a new leader does with a version-0 config (Leader.lead, ZOOKEEPER-1783):
// the last seen config gets the new epoch's first zxid as its version; it is sent in every
// NEWLEADER and activated once a quorum acked NEWLEADER. Call inside Do.
func stampConfig(n *node.Node, zxid int64) {
	committed, last := n.Config()
	if committed == nil || committed.Version != 0 || last.Version != 0 {
		return
	}
	n.SetLastSeenConfig(config.NewVerifier(committed.Servers, zxid))
}

// newLeaderConfig is the NEWLEADER packet's data: the last seen config's text
// (LearnerMaster.getQuorumVerifierBytes). Call inside Do.
func newLeaderConfig(n *node.Node) []byte {
	_, last := n.Config()
	if last == nil {
		return nil
	}
	return []byte(last.Text())
}

// leaderChanged is processReconfig's test without a designated leader: the leader followed
// is no longer a voter of the new config, or moved.
func leaderChanged(prev, next *config.Verifier, leader int64) bool {
	a, ok1 := prev.Member(leader)
	b, ok2 := next.Member(leader)
	return !ok1 || !ok2 || a.Observer || b.Observer || a.Host != b.Host || a.QuorumPort != b.QuorumPort
}
