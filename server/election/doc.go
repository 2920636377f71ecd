// Package election is ZooKeeper's FastLeaderElection as a pure state machine: lookForLeader
// while the peer is LOOKING, and the WorkerReceiver's answers at all times, byte-compatible
// with Java 3.5-3.9 peers (it follows release-3.9.3). It does no I/O and keeps no clock:
// notifications come in through Step, time through Tick, and what to send and the outcome come
// out of Ready. server/transport drives it over the election port.
//
// # Driving loop
//
//	e := election.New(election.Config{ID: myid, Voters: voters, ConfigText: text})
//	e.Start(election.Proposal{LastZxid: lastLogged, CurrentEpoch: currentEpoch})
//	for {
//		select {
//		case m := <-received:      // a decoded notification from sid m.From
//			e.Step(m.From, m.Notification)
//		case <-ticker.C:           // every tick (10 ms gives the Java defaults)
//			e.Tick()
//		}
//		rd := e.Ready()
//		for _, m := range rd.Messages { send(m.To, m.Notification) } // m.To may be myid: loop it back
//		if rd.Decided != nil { /* LEADING, FOLLOWING or OBSERVING rd.Decided.Vote.Leader */ }
//	}
//
// After a decision the peer stays in that state and keeps answering LOOKING voters with its
// vote and state until Start is called again (the role ended) or SetVote changes them (a leader
// that established a new epoch puts it in the vote, as QuorumPeer.updateElectionVote does).
//
// # Contract (what Java does, and so what this does)
//
//   - Start: logical clock + 1; proposal = (myid, lastZxid, currentEpoch), or Long.MIN_VALUE
//     for each part a non-voter (leader) or observer (zxid, epoch) does not have; a notification
//     to every voter, itself included.
//   - totalOrderPredicate: higher peerEpoch, then higher zxid, then higher sid; a sid of weight
//     0 never wins (weights are 1 unless Config.Weights says otherwise).
//   - A LOOKING notification of a later round moves us to that round (votes so far dropped,
//     proposal = the better of its vote and our own); an earlier round is ignored; in our round
//     a better vote is adopted and re-sent. 3.6+: ignored when our zxid or its zxid is -1.
//   - Once the votes of our round that Equal our proposal are a majority of the voters, the
//     election ends after FinalizeWait ticks (200 ms) in which no better vote arrives; votes
//     that arrive then and are not better are dropped, a better one resumes the election.
//   - FOLLOWING and LEADING notifications (receivedFollowingNotification): of our round, they
//     count in the round's votes; of any round, in the out-of-election votes. A majority that
//     Equals the vote, plus checkLeader (the leader itself said LEADING; or the leader is us and
//     the round is ours), ends the election with that leader, in that round.
//   - No notification for notTimeout ticks: send the proposal again; notTimeout starts at
//     MinNotificationInterval (200 ms) and doubles up to MaxNotificationInterval (60 s).
//   - Receiving from a non-voter: answer with the current vote, the logical clock and the
//     state, at once. While LOOKING, a LOOKING voter of an earlier round is answered with our
//     proposal and round. While not LOOKING, a LOOKING voter is answered with the current vote,
//     its round and our state.
//   - Vote.Equal is Java's Vote.equals (see there); quorums are majorities (QuorumMaj).
//
// Dynamic reconfiguration: the quorum peer replaces the voters (SetVoters) and the config text
// (SetConfigText) when a config activates. Not done, on purpose: the config text of received
// notifications is not parsed, so a higher config version never restarts the election as it
// would in Java (zkgo learns configs from its leader: NEWLEADER and COMMITANDACTIVATE);
// hierarchical quorums (only their weight-0 rule) and the QuorumOracleMaj of two-node
// ensembles. On a notification timeout Java re-sends only when some peer's send queue is empty
// and otherwise only reconnects; here the proposal is always re-sent, which replaces an
// undelivered message with the same proposal, and the transport reconnects when it sends.
package election
