// Package zab is ZooKeeper's atomic broadcast (ZAB 1.0, as Java 3.9 speaks it) as pure,
// single-threaded state machines: no net, os, time or sync (TestPureImports checks it).
//
//   - Negotiation: the leader's discovery bookkeeping: the new epoch is max(acceptedEpoch)+1 once
//     a quorum including the leader has connected; a quorum of ACKEPOCH (a learner more recent
//     than the leader is refused, as Java does); then a quorum of NEWLEADER acks.
//   - AcceptLeaderInfo: the learner's check of LEADERINFO against its own epochs.
//   - ChooseSync: DIFF, TRUNC or SNAP for a learner from the leader's committed-log window, as
//     Java 3.9's LearnerHandler.syncFollower (TRUNC never crosses an epoch boundary: SNAP).
//   - Tracker: ACK counting per proposal against one or more Verifiers (participants only; a
//     reconfig's proposals need the old and the new voters' quorums) and commits strictly in
//     zxid order.
//   - Leader and Learner: the whole protocol as Step(msg) / Tick() / Propose(txn) / Ready() /
//     Advance(). Ready says what to truncate or snapshot, what to append, which epoch files to
//     write, what to apply, what to send now, whether to fsync, and what may be sent only after
//     that fsync (ACK, ACKEPOCH, the NEWLEADER ack); the caller does the I/O and calls Advance.
//     A leader with AsyncLog acks its own proposals when told LogDurable instead. The leader
//     also runs reconfigs (ProposeReconfig: both quorums, COMMITANDACTIVATE naming the
//     designated leader, stepping down when that is another server). Time is ticks: each phase
//     before establishment must finish within initLimit ticks; an established leader steps
//     down when the voters heard within syncLimit ticks are no quorum.
//
// On the production path both machines run every role: server/quorum's follow drives a
// Learner for every follower and observer (the ACKs held in AfterSync leave when the node
// reports the log durable, so reading never waits for an fsync), and a leader's node
// (server/node, StartLeading) drives a Leader with AsyncLog: the learner handlers step their
// packets into it, the node's log reports durability through LogDurable, and the node adds
// what the core leaves out (the SNAP stream, NEWLEADER's config, session touches, REVALIDATE,
// forwarded requests and SYNC). The scenario files and the ensemble simulator (server/sim)
// run the same two types.
package zab
