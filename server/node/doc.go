// Package node runs a standalone ZooKeeper server: the node owns the pure cores — data tree,
// prep, sessions, watches — and drives them one step at a time under one lock. A client
// request is such a step, run on its connection's reader goroutine (no hand-off); the node's
// own goroutine (the node loop) runs the steps that come from storage (durability), timers
// (session expiry, containers) and snapshots. Everything the package says of "the node loop"
// holds for every step: steps never overlap and never block on a socket.
//
// Driving loop: a write request is prepared into a txn (prep), appended to the log (storage
// groups appends and fsyncs once per batch), and applied to the tree only once the log says it
// is durable; then its reply and the watch events it fired are queued on the connections.
// Reads are answered from the applied tree.
//
// Ordering rules (each tested):
//  1. A client's write reply leaves only after its txn is durable and applied.
//  2. Commits apply in zxid order.
//  3. A watch event is queued on a connection before any reply carrying a later zxid: every
//     connection has one ordered outbound queue, filled only by node steps, written by one
//     goroutine at a time (the connection's writer, or its reader right after its own
//     request).
//  4. Per-session FIFO: replies leave in request order; a session's reads wait behind its
//     pending writes; sync waits for every txn prepared before it.
//  5. Group commit lives in storage.
package node
