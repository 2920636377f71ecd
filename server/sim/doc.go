// Package sim is a seeded, deterministic simulator of whole ensembles of zkgo's pure cores:
// server/election (FastLeaderElection) and server/zab (a zab.Leader for a LEADING peer, a
// zab.Learner for a FOLLOWING one — the Learner is the one server/quorum runs in production).
// One goroutine, no real network or clock: everything random comes from Options.Seed, so a
// run is a function of its seed and a failing seed replays exactly.
//
// # Model
//
//   - 3 or 5 voters, optionally with observers (OBSERVING: a zab.Learner that gets INFORMs
//     and never acks). Time is ticks; each tick every node's cores tick, due messages are
//     delivered and the invariants are checked (also after every delivered message).
//   - Election port: notifications are lost (10%), duplicated (5%), delayed (1..8 ticks) and
//     reordered during the chaos phase.
//   - Quorum port: a learner opens a connection to the leader it elected; it is FIFO and
//     lossless, as TCP, but it breaks as a whole: at random, at a partition, when either end
//     crashes or leaves its role, or when the leader drops the learner. The learner leaves its
//     role at once (its read fails); the leader notices by its own timeouts, as Java's does.
//   - Disk: each node has a log (txns and zxids) of which a prefix is on disk, and its
//     acceptedEpoch/currentEpoch files. A core's Ready is carried out in its order (truncate,
//     append, epoch files, commit, send); when it must fsync, the fsync takes 1..3 ticks and
//     the packets that wait for it (ACK, ACKEPOCH, the NEWLEADER ack, LEADERINFO) leave only
//     then. A crash loses the log tail and the epoch values not yet fsynced. A restarted node
//     replays its whole log (ZooKeeper loads every logged txn), then looks for a leader; every
//     role ends with the logged txns applied, as the server's ApplyAllPending.
//   - SNAP carries the leader's applied txns up to the SNAP zxid; TRUNC cuts the log.
//   - Faults during the chaos phase (3000 ticks): crashes and restarts, one node partitioned
//     from the others (both ways or one way) and healed, connection breaks; client writes go
//     to whichever node leads (a write is acknowledged when a leader commits it). Then everything heals, 20 more writes
//     must be acknowledged, and the ensemble must settle (one leader, every node its synced
//     learner at the same applied zxid, for 200 ticks) within 20000 ticks.
//
// # Invariants (after every event)
//
//   - One established leader per epoch.
//   - Epochs: acceptedEpoch never goes back; on disk neither epoch file ever goes down and
//     acceptedEpoch >= currentEpoch.
//   - Each log is in strictly increasing zxid order; a commit of a txn the node had loaded
//     must be the same txn.
//   - Synced nodes (an established leader, a learner after UPTODATE) have applied histories
//     that are prefixes of one another, with equal digests (a chained xxhash of zxid and txn)
//     at equal positions.
//   - No acknowledged write is lost: a synced node that applied up to zxid z holds every
//     acknowledged write <= z, unchanged; after healing every node holds every one.
//
// TestChecksCatchBrokenModels shows the checks fail on purpose-broken models: a node applying
// a corrupted txn, a crash that loses the epoch files, and ACKs sent before the fsync (with
// slow fsyncs and frequent crashes an acknowledged write is lost). Replay a seed with
//
//	go test ./server/sim -run 'TestSimulation/5-voters$' -sim.seed=N -v
//
// (-v prints the trace); -sim.seeds=N runs more seeds.
package sim
