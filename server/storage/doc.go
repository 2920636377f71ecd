// Package storage is the I/O shell around ZooKeeper's data directory: the txn log with group
// commit, snapshots, restore at start-up, purge, truncation and the epoch files. The formats
// are Java's (wire/txnlog.go, wire/snapshot.go, wire/epoch.go), so a zkgo data directory and
// a Java one are interchangeable.
//
// Layout (as Java's FileTxnSnapLog):
//
//	<DataDir>/version-2/snapshot.<hex zxid>[.gz|.snappy]   snapshots
//	<DataDir>/version-2/currentEpoch, acceptedEpoch        epoch files
//	<DataLogDir>/version-2/log.<hex zxid of first txn>     txn logs (DataLogDir defaults to DataDir)
//
// # Contract
//
// Open creates the directories. Restore must come before the first Append: it loads the newest
// snapshot that reads back intact (falling back to older ones, at most 100, as Java does)
// through Loader.LoadSnapshot, then replays every logged txn with a higher zxid through
// Loader.ApplyTxn, in zxid order, and returns the last zxid. Its rules:
//
//   - a torn tail (a partial last entry left by a crash) of the last log file is cut off and
//     logged; start-up continues;
//   - a bad entry with data after it, a gap in zxids within an epoch (between log files, or
//     between the snapshot and the first replayed txn), or an undecodable txn stops start-up
//     with an error naming the file and the offset;
//   - log files without any snapshot stop start-up (Java's ZOOKEEPER-3056 check) unless
//     Options.TrustEmpty;
//   - no snapshot and no log: an empty database at zxid 0. Like Java, the caller should then
//     write snapshot.0 (SaveSnapshot) before its first Append, or a crash would leave logs
//     without a snapshot.
//
// Append queues an entry (the TxnHeader + txn + digest bytes, as in a PROPOSAL) and returns at
// once; it blocks only when the queue is full. One writer goroutine owns the log file: it takes
// whatever is queued (up to MaxBatchEntries / MaxBatchBytes), writes it, flushes, fsyncs once
// (fdatasync, unless NoForceSync) and then sends the batch's last zxid on Durable. Durable never
// carries a zxid before the fsync of its batch returned; it is coalescing (one slot holding the
// newest value), so a slow reader sees the latest durable zxid, never a stale backlog. Files are
// preallocated in PreAllocSize steps as Java's FilePadding does (when the write position comes
// within 4 KiB of the allocated end, one zero byte is written at the next multiple), and roll
// at snapshots or past TxnLogSizeLimitKB; the next append after a roll starts
// log.<its zxid>.
//
// A failed write or fsync is fatal: Failed is closed, Err tells why, and later appends are
// dropped. (After a failed fsync the page cache state is unknown; only a restart is safe.)
//
// Snapshots: the writer counts txns and bytes since the last roll and signals on SnapshotDue
// after snapCount/2 + rand(snapCount/2) txns or snapSizeLimit/2 + rand(snapSizeLimit/2) bytes
// (SyncRequestProcessor.shouldSnapshot; Options.Rand injects the randomness). The caller then
// calls TakeSnapshot(zxid, write) with the zxid its tree has applied and a function that writes
// the tree through a wire.SnapshotWriter (Sessions, ACLs, Node..., Finish). Storage rolls the
// log behind every append queued so far and runs write on its own goroutine into
// .snapshot.<hex zxid>.tmp, fsyncs, renames it to snapshot.<hex zxid> and fsyncs the
// directory; appends go on meanwhile. write must only read data that does not change (an
// immutable view of the tree). One snapshot at a time: TakeSnapshot returns ErrSnapshotBusy
// while one runs (Java logs "Too busy to snap, skipping"). Results arrive on SnapshotDone.
//
// Purge (PurgeTxnLog): keep the SnapRetainCount newest valid snapshots, and the logs needed to
// replay from the oldest of them (the newest log starting at or before it, and all later
// ones); delete older snapshots and logs. With PurgeInterval > 0 it runs after each snapshot
// and every PurgeInterval hours; Purge runs it on demand.
//
// For quorum sync: Sync waits until everything appended is durable; Truncate(zxid) cuts the log
// right after the entry zxid and deletes later files (TRUNC); ReadLog iterates durable entries
// from a zxid (DIFF from the log). Epoch files are written atomically and fsynced before
// SetCurrentEpoch / SetAcceptedEpoch return.
//
// Stats exposes fsync and batch counters for metrics; ObserveFsync / ObserveBatch see every
// fsync and batch (for histograms).
package storage
