// Package history records what ZooKeeper clients did (invoke, then ok / fail / unknown, with
// monotonic timestamps) and checks the record.
//
// Two workloads share one history:
//
//   - registers: a few keys, each holding a value and a version: set (unconditional), set with
//     an expected version (compare-and-set; ZBADVERSION is a definite no-op), get, and sync
//     followed by get;
//   - a set: sequential children of one parent, each named after a unique element id, and
//     sync followed by getChildren.
//
// Check runs, over a finished history and the final state read from every node:
//
//   - linearizability with porcupine (github.com/anishathalye/porcupine), one partition per
//     register key and per set parent. Writes, compare-and-sets and adds are linearizable in
//     ZooKeeper; a plain get is not (a follower may lag), so only sync+get and
//     sync+getChildren take part. An op of unknown outcome may take effect at any time after
//     its invocation or never (its return time is put after everything else); unknown adds are
//     first resolved with every read and the final state (seen: it happened; never seen, with
//     final reads present: it did not);
//   - durability: every acknowledged write and add is in every node's final state;
//   - convergence: every node ends with the same state;
//   - set integrity: no phantom element, no element created twice, no sequence number given
//     twice;
//   - session order (ZooKeeper's client guarantees, per-session FIFO): within a session a read
//     never returns a state older than one the session already observed (its writes' zxids,
//     its earlier reads' mzxids, applied to every key: the newest acked write to the key at or
//     below that zxid must be visible), set reads only grow, include the session's own acked
//     adds, and the session's adds get increasing sequence numbers.
//
// A failed check lists each anomaly with the ops involved, writes history.jsonl and, when
// porcupine finds no linearization, its HTML visualization (the test's events, such as
// faults, shown as annotations) to Options.VisualizeDir.
package history
