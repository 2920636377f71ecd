// Package oracle runs Apache ZooKeeper (Java) as the test oracle of zkgo.
//
// Java ZooKeeper 3.4.13, 3.8.0 and 3.9.3 come from Debian's packages (suites bullseye,
// bookworm and trixie): scripts/fetch-java.sh downloads them with a private apt state and
// unpacks them into ${ZKGO_JAVA_CACHE:-<repo>/.cache/java}/<version>/, writing there the
// classpath and the java binary to use. Ensure runs the script when a version is not cached, so
// tests never skip for lack of Java: they fetch it.
//
// Servers run as plain JVMs (java -Xmx256m -XX:+UseSerialGC -cp <classpath> QuorumPeerMain
// zoo.cfg, not zkServer.sh) on free ports of 127.0.0.1, each in its own folder with its zoo.cfg,
// data/ and server.log (the JVM's stdout and stderr; slf4j-simple logs to stderr):
//
//	s, err := oracle.StartStandalone(t, oracle.V3_9_3, oracle.Options{
//		JVMFlags: []string{"-Dzookeeper.extendedTypesEnabled=true"},
//	})
//	// s.ClientAddr(), s.LogPath, s.Kill(), s.Restart() ...
//
//	e, err := oracle.StartEnsemble(t, oracle.V3_9_3, 3, oracle.Options{Observers: []int{3}})
//	// e.ConnectString(), e.Leader(), e.Server(2).Kill() ...
//
// A server is ready when srvr (sent as exactly 4 bytes, on a fresh connection, with a
// deadline) shows a "Mode:" line; ruok answers earlier than that. Given a testing.TB, Close is
// registered with t.Cleanup, and a failed test logs the tail of every server's log. The JVM
// gets PR_SET_PDEATHSIG, so a killed test binary leaves no server behind.
//
// Ensembles may mix versions (StartMixedEnsemble) and members the harness does not run
// (StartMembers with Member.Version empty; ServerLines gives their server.N lines), so zkgo
// nodes can join a Java ensemble.
//
// # Measured on this 2-core machine (Debian bookworm, OpenJDK 17.0.15)
//
// Fetching: about 10 to 23 s per version on a first run (40 to 50 s for all three; the apt
// update of one suite's Packages index is 9 to 17 MB and 2 to 3 s, the .debs are 7 to 16 MB and
// 1 to 3 s, the rest is unpacking, the manifest scan and a trial start of the server), about
// 0.1 s when cached. The cache takes 9 MB (3.4.13), 21 MB (3.8.0), 22 MB (3.9.3) and 55 MB of
// apt lists.
//
// Java 17 runs all three versions, 3.4.13 included, with no extra flags. (fetch-java.sh
// checks this by starting each version; when the system java fails it fetches the suite's own
// headless JRE instead. ZKGO_JAVA_FORCE_JRE=1 forces that path: bullseye's OpenJDK 11 also runs
// 3.4.13.)
//
// Start-up, exec to a srvr Mode line, quiet machine: standalone 0.33 to 0.65 s for every
// version (0.7 to 0.9 s when two start at once); 3-node ensemble 1.4 s (3.4.13), 1.7 s
// (3.8.0), 2.1 to 2.9 s (3.9.3), up to 4.5 s on a loaded machine. Stop (SIGTERM) takes 0.33 s.
// After SIGKILL of the leader a new leader answers srvr within 0.43 to 0.55 s on 3.8.0 and
// 3.9.3, 1.3 s on 3.4.13. Idle RSS of a standalone server: 55 MB (3.4.13), 64 MB (3.8.0,
// 3.9.3).
//
// # Packaging facts and gotchas
//
//   - 3.4.13's manifest Class-Path names jline.jar, log4j-1.2.jar, xercesImpl.jar and
//     xmlParserAPIs.jar but not slf4j-api.jar, which it needs: the script adds slf4j-api and
//     slf4j-simple to every version (without a binding the server logs nothing).
//   - 3.8.0 and 3.9.3 name /usr/share/java/jline.jar in the manifest without depending on
//     libjline-java; the script fetches it (jline 1.0; ZooKeeperMain looks for jline 2 and
//     falls back to plain input, which is fine for one-shot commands).
//   - The manifests use absolute /usr/share/java/... paths, so the JVM also appends whatever
//     this machine has in /usr/share/java; the explicit classpath comes first and wins.
//   - netty-codec, netty-resolver and netty-transport-native-unix-common are missing from the
//     3.8.0/3.9.3 manifests; with them added NettyServerCnxnFactory serves clients (without,
//     every connection fails with NoClassDefFoundError ByteToMessageDecoder). servlet-api.jar
//     is added so the AdminServer (Options.AdminServer) starts.
//   - srvr's first line: "Zookeeper version: 3.4.13-6--1, built on Sat, 28 Oct 2023 23:16:44
//     +0200", "3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC", "3.9.3-${...},
//     built on 2026-03-08 16:19 UTC": three date formats.
//   - 3.4.13 takes no snapshot at start-up, so its dataDir holds log.1 and no snapshot; 3.9.3
//     refuses such a dataDir ("No snapshot found, but there are log entries. Something is
//     broken!") unless started with -Dzookeeper.snapshot.trust.empty=true.
//   - Without clientPortAddress the client port binds 0.0.0.0: the harness always writes
//     clientPortAddress=127.0.0.1 (and admin.serverAddress=127.0.0.1).
//   - 3.8.0 and 3.9.3 accept "server.N=host:q:e;127.0.0.1:clientPort" next to clientPort=
//     without complaint and leave zoo.cfg alone (reconfigEnabled is false); 3.4.13 does not
//     know the ";client" part, so ServerLine leaves it out for 3.4.
//   - Mixed ensembles form a quorum: 3.8.0 with 3.9.3, and 3.4.13 with 3.8.0 or 3.9.3.
//   - TxnLogToolkit and SnapshotFormatter exist in all three versions; LogFormatter only in
//     3.4.13.
package oracle
