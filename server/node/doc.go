// Package node runs a standalone ZooKeeper server: one goroutine (the node loop) owns the
// pure cores — data tree, prep, sessions, watches — and drives them; client connections and
// storage talk to it over channels.
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
//     connection has one ordered outbound queue, filled only by the node loop, written by one
//     writer goroutine.
//  4. Per-session FIFO: replies leave in request order; a session's reads wait behind its
//     pending writes; sync waits for every txn prepared before it.
//  5. Group commit lives in storage.
package node
