// Package bench is zkgo's load generator and its reports: `zkgo bench` (cmd/zkgo/bench.go)
// and `make bench`, which regenerates bench/RESULTS.md, bench/results.json and the charts in
// bench/charts. The charts are drawn by a separate program, bench/chartgen (gonum/plot), from
// the JSON, so that plotting stays out of the server binary (see its doc: it cost start-up).
//
// # Load
//
// Run drives one Workload against a server or an ensemble with the go-zookeeper/zk client:
// Sessions sessions, session i on server i mod n; Depth goroutines share each session, so up
// to Depth requests are outstanding on one connection (go-zookeeper pipelines requests of
// concurrent callers; its API is synchronous). Each goroutine picks operations from the Mix:
//
//	get, set, exists   a random key of /zkbench/b<k/64>/k<k> (Keys of them, ValueSize bytes)
//	children           getChildren of a random bucket /zkbench/b<j> (64 children)
//	create, delete     the goroutine's own znodes under /zkbench/c (a delete with nothing left
//	                   to delete creates instead)
//	multi              two setData in one multi
//	watch              getData with a watch on the goroutine's own znode, then setData on it;
//	                   "watch" is the getData, "watch-fire" the time from sending the set to
//	                   receiving NodeDataChanged
//
// A run warms up for Warmup, then measures for Duration (or Ops operations). Latencies go
// into HDR histograms (1 µs to 100 s, 3 significant digits) per operation and per second of
// the window; errors are counted by kind and kept out of the latencies. With Rate > 0 every
// goroutine is paced and latency counts from the intended start of each operation, so a
// stalled server is not hidden by the pacing (no coordinated omission).
//
// # Side by side
//
// RunSuite starts the targets of a group (standalone: zkgo and java; 3-node: zkgo3 and
// java3) and keeps them all up, then runs every workload on each in turn, reversing the order
// every round, so they see the same machine. The Java servers come from the oracle harness
// (Debian's 3.9.3 jars, -XX:+UseSerialGC, forceSync on) with -Xmx1000m (zkEnv.sh's default
// heap); zkgo runs as a separate process (`zkgo server zoo.cfg`, forceSync on, the same
// tickTime), so its RSS and CPU compare with the JVM's. During each measured window a sampler
// reads /proc/<pid> of every server (RSS, utime+stime) and of the load generator; mntr before
// and after gives the fsync count, time and batch size. Equal-load runs re-run chosen
// workloads on every target at a fraction of the slowest target's throughput, for latency at
// equal load.
//
// Also measured: the zk-latencies sequence (RunLatencies), the time from the exec of a
// server to the first request it serves (a raw-protocol probe every millisecond), RSS with
// many znodes (a fresh standalone server, znodes created 100 per multi), and the recovery of
// a 3-node ensemble after SIGKILL of its leader (until a survivor reports leader, until a
// create through a survivor succeeds).
//
// Storage: the kinds zkgo-nosync and java-nosync form a third group, standalone servers
// with forceSync=no (Java reads it as zookeeper.forceSync), on which only the write workload
// runs (SuiteConfig.NoSyncWorkloads), beside the fsynced standalone group. RunSnapshots times
// snapshot write and load of the same tree by each server's own code in one process:
// storage.SaveSnapshot and storage.Restore for zkgo, FileSnap.serialize and
// FileSnap.deserialize through bench/java/SnapBench.java for Java, compiled with javac
// against the Debian jars at run time. The report's Storage section puts them side by side.
//
// The machine is shared by the client and the servers (2 cores here), and by whatever else
// runs: each result records the 1-minute load average and the client's CPU. Figures are
// measurements, never test assertions.
//
// # Profiling
//
// The inproc target runs zkgo inside the bench process; -cpuprofile then profiles client and
// server together, and the client's goroutines carry the pprof label side=client:
//
//	zkgo bench -targets inproc -workloads read -cpuprofile cpu.prof
//	go tool pprof -tagignore side=client zkgo cpu.prof
package bench
