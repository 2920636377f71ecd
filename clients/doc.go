// Package clients runs real ZooKeeper clients against zkgo and against Java ZooKeeper 3.9.3,
// side by side; it has tests only.
//
//   - gozk_test.go: go-zookeeper/zk's own integration tests, through scripts/gozk-suite.sh
//     (a representative subset by default; ZKGO_GOZK_ALL=1 for all 47 tests).
//   - zkcli_test.go: Java 3.9.3's zkCli (ZooKeeperMain) fed a script on stdin; the
//     normalised transcripts must be equal.
package clients
