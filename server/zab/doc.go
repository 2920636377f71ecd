// Package zab is ZooKeeper's atomic broadcast (ZAB 1.0, as Java 3.9 speaks it) as pure,
// single-threaded state machines: no net, os, time or sync (TestPureImports checks it).
//
//   - Negotiation: the leader's discovery bookkeeping: the new epoch is max(acceptedEpoch)+1 once
//     a quorum including the leader has connected; a quorum of ACKEPOCH (a learner more recent
//     than the leader is refused, as Java does); then a quorum of NEWLEADER acks.
//   - AcceptLeaderInfo: the learner's check of LEADERINFO against its own epochs.
//   - ChooseSync: DIFF, TRUNC or SNAP for a learner from the leader's committed-log window, as
//     Java 3.9's LearnerHandler.syncFollower (TRUNC never crosses an epoch boundary: SNAP).
//   - Tracker: ACK counting per proposal with a Verifier (participants only) and commits strictly
//     in zxid order.
//   - Leader and Learner: the whole protocol as Step(msg) / Tick() / Propose(txn) / Ready() /
//     Advance(). Ready says what to truncate or snapshot, what to append, which epoch files to
//     write, what to apply, what to send now, whether to fsync, and what may be sent only after
//     that fsync (ACK, ACKEPOCH, the NEWLEADER ack); the caller does the I/O and calls Advance.
//     Time is ticks: each phase before establishment must finish within initLimit ticks; an
//     established leader steps down when the voters heard within syncLimit ticks are no quorum.
//
// The running server uses the decision parts: server/quorum's leader negotiates the epoch with
// Negotiation and its learners accept LEADERINFO with AcceptLeaderInfo; server/node chooses
// each learner's sync with ChooseSync and counts ACKs and commits with a Tracker (a reconfig's
// second quorum gates the acks it passes on). server/quorum keeps the sockets, the packet
// formats and the timers. The whole-protocol Leader and Learner machines are driven by the
// scenario files in testdata and by the ensemble simulator in server/sim.
package zab
