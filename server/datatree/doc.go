// Package datatree is the in-memory ZooKeeper tree: a pure, single-threaded core (no I/O, no
// clock, no goroutines).
//
// Contract: the owner applies committed txns in zxid order with ApplyTxn, reads with Get and
// Children, and serialises the tree into snapshots. Times and zxids come from the txn header
// (the leader's clock), so every replica that applies the same txns holds the same tree, with
// the same digest (Digest, DigestCalculator version 2 of ZooKeeper 3.6+).
//
// Applying a txn returns a Result: the error code, the affected path and Stat, multi
// sub-results, and the watch triggers (path, event type) in the order ZooKeeper fires them.
// Watches themselves live in server/watch; the tree knows nothing of connections.
//
// Stat rules follow ZooKeeper: the persisted cversion counts child creations; clients see
// cversion = 2*persisted - numChildren (DataNode.copyStat); ephemeralOwner reads 0 for
// containers and TTL nodes.
package datatree
