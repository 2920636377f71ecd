// Package quorum runs a zkgo node as a member of a ZooKeeper ensemble (QuorumPeer): it loops
// election → leading, following or observing → election, speaking ZAB with Java and zkgo peers
// on the quorum port. The node loop (server/node) owns the tree and sessions; this package
// owns the connections and the protocol phases (discovery, synchronisation, broadcast) and
// calls into the node through node.Do. The protocol decisions are server/zab's pure core.
//
// Learner (follower/observer), a zab.Learner driven by learnerDriver: FOLLOWERINFO/OBSERVERINFO → LEADERINFO → ACKEPOCH (the
// acceptedEpoch file is written first) → DIFF | TRUNC | SNAP (+ stream) → PROPOSAL/COMMIT* →
// NEWLEADER (currentEpoch written, then ACK once the synced txns are durable) → UPTODATE → ACK → broadcast (PROPOSAL logged
// and ACKed after fsync, COMMIT applied, PING answered with session touches, SYNC,
// REVALIDATE, INFORM for observers).
//
// Leader: a zab.Leader run inside the node (node.StartLeading) with the leader's hooks here
// (epoch files, NEWLEADER's config, established, done). One handler goroutine per learner
// connection reads its packets and steps them into the core under the node lock; a ticker
// steps it every tickTime/2. The core decides: the new epoch is max(acceptedEpoch)+1 once a
// quorum (self included) has connected (acceptedEpoch written); LEADERINFO; a quorum of
// ACKEPOCH (currentEpoch written); per learner DIFF/TRUNC/SNAP chosen and queued at one
// instant of the node; NEWLEADER; once a quorum has ACKed NEWLEADER the leader serves and
// sends UPTODATE; then it PINGs every tickTime/2, drops learners silent for syncLimit, and
// steps down when the voters heard within syncLimit are no quorum or a committed reconfig
// designated another leader.
package quorum
