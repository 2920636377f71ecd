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
// On the production path: server/quorum's follow runs every following (follower or observer)
// through a Learner, its driver carrying out each Ready (the ACKs held in AfterSync leave when
// the node reports the log durable, so reading never waits for an fsync); the leader negotiates
// the epoch with Negotiation, and server/node chooses each learner's sync with ChooseSync and
// counts ACKs with a Tracker (a reconfig's second quorum gates the acks it passes on). The
// whole-protocol Leader machine runs in the scenario files and the ensemble simulator; the
// production leader (server/quorum's learner handlers, one goroutine per learner) calls the
// same parts, not the Leader type.
package zab
