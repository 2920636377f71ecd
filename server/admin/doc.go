// Package admin is zkgo's operations surface, built to be indistinguishable from Java
// ZooKeeper 3.9's for the dashboards, scripts and alerts written against it:
//
//   - the four-letter words of the client port (S/command/*.java): conf, cons, crst, dump,
//     envi, ruok, srst, srvr, stat, wchs, wchc, wchp, mntr, isro, dirs, hash, gtmk, stmk, with
//     the 4lw.commands.whitelist rules (srvr always on) and Java's text line for line;
//   - the AdminServer (JettyAdminServer, Commands.java): GET /commands lists the commands,
//     GET /commands/<name> answers the JSON Jackson writes (same field names and order, same
//     pretty-printing, "command" and "error" last), unknown commands and auth failures answered
//     as Java answers them;
//   - the metrics: every name Java's ServerMetrics and ZooKeeperServer register, printed by
//     mntr and the monitor command in Java's order (names.go), and exported on /metrics under
//     the same names when the Prometheus provider is configured (help = name, label "key" for
//     sets, summaries with Java's quantiles), plus zkgo's own zkgo_* histograms.
//
// The package holds no server state. A Backend (zkserver's, over the node loop and the client
// transport) answers each question with one consistent read; this package formats. Values zkgo
// has no equivalent for are printed as a Java server with nothing to report prints them (0, -1,
// an empty list), so every key is always there.
//
// The differential tests (diff_test.go, quorum_test.go) run every word and command against
// Java 3.9.3 through the oracle — standalone, with a whitelist, and as leader and follower of
// an ensemble — and compare keys, lines and layout with the values normalised.
//
// # Known differences (values, never keys or formats)
//
//   - Values zkgo does not track print what an idle Java prints: the client response and
//     proposal sizes (-1), most ServerMetrics counters and summaries (0). Live ones: the
//     latency gauges and readlatency/updatelatency, read_per_namespace/write_per_namespace,
//     the node, watch, session, ephemeral and connection counts, approximate_data_size
//     (recomputed at most every 5 s), file descriptors, leader gauges; fsynctime and
//     sync_processor_batch_size once storage calls Metrics.ObserveFsync/ObserveBatch.
//   - Sent/packets_sent count replies (Java also counts notifications and connect responses).
//   - Java's WatchManager keeps an empty entry for a connection whose last watch fired, and its
//     expiry queues keep empty buckets; zkgo shows neither. Expiry times and cons' lresp are
//     wall-clock milliseconds (Java: its monotonic clock). cons lists connections oldest first
//     (Java: hash order); per-namespace and per-learner set entries are sorted by key.
//   - envi and system_properties show the Go runtime under Java's keys (GoEnvironment).
//   - snapshot and restore answer, after Java's auth checks, as Java does with
//     admin.snapshot.enabled / admin.restore.enabled false (503). observers lists no
//     per-observer details (the count is right). leader_uptime is the server's uptime.
//   - /metrics: families without samples (quota sets with no quota, learner sets on a
//     follower) are absent, where Java prints their HELP and TYPE lines; go_* and process_*
//     stand in for Java's jvm_* exports. mntr with the Prometheus provider lists the
//     ZooKeeper samples only.
package admin
