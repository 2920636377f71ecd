// Package transport is the election port of a zkgo server: QuorumCnxManager's connections
// (Transport) and the goroutine that drives the pure FastLeaderElection core of package
// election over them (Elector). Byte formats are in package wire (election.go).
//
// # Connections (Transport), as QuorumCnxManager in Java 3.6-3.9
//
//   - Listen on the server line's election address; a failed bind is retried
//     zookeeper.electionPortBindRetry times (3), a second apart.
//   - Whoever has something to send and no connection dials (zookeeper.cnxTimeout, 5 s) and
//     sends the V1 initial message (-65536, sid, "host:port"). The dialler keeps the connection
//     only if the remote sid is lower; otherwise it closes it and the remote dials back.
//   - The acceptor reads the initial message: V1 or V2, or 3.4's bare sid (a first long >= 0).
//     A lower sid is closed and dialled back (any old connection to it is finished first), our
//     own sid is refused (ZOOKEEPER-2164), a higher sid is kept. Only the connection from the
//     higher sid to the lower one survives, and a new one replaces an old one.
//   - Each peer has a send slot of capacity 1: a newer message replaces one not yet sent. A
//     connection that starts with an empty slot first re-sends the last message sent to that
//     peer (duplicates are harmless to the election).
//   - Frames are int32 length (1..512 KiB) + payload; anything else ends the connection.
//     Received messages go to one queue of 100; when full, the oldest is dropped.
//   - Messages to this server's own sid are looped back into the receive queue.
//   - No TLS, SASL or multi-address (V2 is accepted, never sent: 3.5 peers refuse it).
//
// # Elector: the contract for the quorum peer
//
//	e, err := transport.NewElector(transport.ElectorConfig{MyID: myid, Servers: cfg.Servers})
//	err = e.Start()                                   // listen; answer peers from now on
//	d, err := e.LookForLeader(ctx, election.Proposal{LastZxid: z, CurrentEpoch: ce})
//	// d.State is LEADING, FOLLOWING or OBSERVING; d.Vote.Leader is the leader's sid.
//	// ... lead / follow / observe; meanwhile LOOKING peers are told d.Vote and d.State ...
//	err = e.SetVote(wire.Leading, vote)                // e.g. PeerEpoch := the new epoch
//	d, err = e.LookForLeader(ctx, proposal)           // when the role ends: a new round
//	e.Close()
//
// One goroutine owns the core: it takes decoded notifications from the Transport (malformed
// ones are logged and dropped, as Java does), ticks the core every Tick (10 ms) while an
// election runs, and sends what the core asks for. LookForLeader blocks until the core
// decides; SetVote and SetConfigVersion take effect at once. Every call is safe from any
// goroutine. The config text sent in notifications is ConfigText(Servers, ConfigVersion):
// version 0 for a static zoo.cfg, byte for byte what Java sends for the same server lines.
package transport
