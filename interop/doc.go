// Package interop runs zkgo and Apache ZooKeeper (Java) together in Docker ensembles, under a
// client workload, while faults are injected, and checks the clients' histories.
//
// Everything lives in the package's tests (dockertest and porcupine stay out of what ships):
//
//	go test ./interop/                    the bounded set (make test): every fault once
//	make interop-long                     seeded campaigns, report in interop/REPORT.md
//
// # Images
//
// TestMain runs docker/build.sh, which rebuilds an image only when the SHA-256 of its inputs
// differs from the image's zkgo.inputs label: zkgo:local (scratch image with the static
// binary), zkgo-java:3.4.13, zkgo-java:3.8.0 and zkgo-java:3.9.3 (debootstrap'ed Debian
// bullseye / bookworm / trixie with that suite's own headless JRE and libzookeeper-java).
// Nothing is pulled: containers are created through dockertest's pool with repository:tag
// names that exist locally; a run pins them under tags of its own (<tag>-run-<pid>), so that a
// rebuild meanwhile leaves its containers' images alone.
//
// # Ensembles
//
// Each node gets a folder on the host with conf/zoo.cfg and data/myid, bind-mounted at /conf
// (read-only) and /data, so a restart or a replacement keeps the data and a disk fault edits
// the files directly. Two networks per ensemble:
//
//   - peers: internal (no route out), static addresses 172.30.N.(10+id); the server.N lines
//     use them. A partition disconnects a node from this network and reconnects it with the
//     same address.
//   - clients: ordinary bridge with inter-container traffic off; only port 2181 is published,
//     on 127.0.0.1 and a port fixed for the node's life, so clients keep their connect
//     string across restarts and replacements and can stay connected to a cut-off node.
//
// zoo.cfg: tickTime=500, initLimit=20, syncLimit=4 (a silent peer is dropped after 2 s),
// snapCount=2000, 4lw.commands.whitelist=*, admin server off. Java gets -Xmx256m
// -XX:+UseSerialGC and -Dzookeeper.snapshot.trust.empty=true (a dataDir another
// implementation wrote may hold logs without a snapshot). Readiness and roles come from srvr
// on the published port (exactly 4 bytes, with a deadline): healthy means one leader and
// everyone else following.
//
// # Faults (faults_test.go)
//
// kill -9 of the leader and of a follower (then restart on the same data); SIGSTOP/SIGCONT of
// the leader (docker pause: the cgroup freezer); partitions: one follower cut off, the leader
// cut off, a minority of followers cut off (5 nodes), a majority cut off (the leader and
// followers, each alone: no side has a quorum); kill -9 of every node and restart; disk
// faults on a killed follower's newest txn log before its restart: truncation inside the last
// entry (a torn write) and one flipped byte inside the last entry's txn (CRC mismatch). A node
// must do what Java does (javaDiskOutcome, measured here: truncation recovered, flipped byte
// refused with exit code 1); a refusing node gets its dataDir emptied (myid kept) and rejoins
// by SNAP.
//
// # Histories
//
// Clients (github.com/go-zookeeper/zk) connect through the published ports and record every
// operation; see package history for the checks. After the faults the load stops, the final
// state is read from every node in parallel (sync, then read, through that node's port); a node
// that cannot serve for 30 s is a failure of its own ("liveness") and the history is still
// checked against the others. Any anomaly fails the test and keeps the history, porcupine's
// visualization, every node's log and data folder in a temporary folder named in the test log.
//
// # The bounded set (go test ./interop/, part of make test)
//
// TestImages: each image standalone, one write and read, and the version it reports.
// TestEnvConfig: zkgo, Java 3.9.3 and Java 3.8.0 with no zoo.cfg or myid mounted, configured
// from the ZOO_* variables of the common ZooKeeper images, form an ensemble. TestEnsembles: java-3.9.3-x3 and
// zkgo-x3 with all nine faults (kill -9 follower, kill -9 leader, pause leader, partition
// follower, partition leader, partition majority, restart all, disk truncate, disk flip);
// java-3.9.3-x5 and zkgo-x5 with the minority and majority partitions; mixed-zkgo-leader (two
// Java 3.9.3 and zkgo leading), mixed-java-leader (zkgo follower, Java leading) and
// mixed-versions (Java 3.8.0, Java 3.9.3, zkgo) with two faults each. TestRollingReplacement.
// Measured on the 2-core machine with other test suites running: 5.5 to 6 minutes when the
// images are current (ensembles form in 3 s with zkgo, 5 to 10 s with Java; a fault takes 4 to
// 11 s from injection to a healthy ensemble), plus about 4 minutes for the three Java images on
// a fresh machine (docker/README.md).
//
// # Campaigns (make interop-long; campaign_test.go, build tag interoplong)
//
// For each seed (SEEDS, default 1,2), every ensemble kind above plus a 5-node mix, a 3.4.13 /
// 3.9.3 / zkgo mix and observers (zkgo observing Java, Java observing zkgo) gets FAULTS (default
// 10) faults drawn with the seed, then the rolling replacement runs; interop/REPORT.md lists
// operations, faults, disk outcomes and anomalies. -only=<regexp> picks scenarios.
package interop
