package interop

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

var seedFlag = flag.Int64("seed", 1, "seed of the workload and fault choices")

// TestMain builds the images when they are missing or stale (docker/build.sh compares a
// content hash of the inputs with the image label; a current set costs about a second) and
// removes what crashed earlier runs left behind.
func TestMain(m *testing.M) {
	flag.Parse()
	if err := buildImages(); err != nil {
		fmt.Fprintf(os.Stderr, "interop: %v\n", err)
		os.Exit(1)
	}
	pool, err := dockerPool()
	if err != nil {
		fmt.Fprintf(os.Stderr, "interop: docker: %v\n", err)
		os.Exit(1)
	}
	removeStale(pool)
	if err := pinImages(pool); err != nil {
		fmt.Fprintf(os.Stderr, "interop: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	unpinImages(pool)
	os.Exit(code)
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

func buildImages() error {
	t0 := time.Now()
	cmd := exec.Command("bash", filepath.Join(repoRoot(), "docker", "build.sh"), "-q")
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker/build.sh: %w", err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		fmt.Fprintf(os.Stderr, "interop: images built in %v\n", d.Round(time.Second))
	}
	return nil
}

func syscallAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// TestImages starts each image as a standalone server and does a write and a read through
// its published port: the images work, and report the versions they claim.
func TestImages(t *testing.T) {
	specs := []Spec{{ID: 1, Impl: Java3413}, {ID: 2, Impl: Java380}, {ID: 3, Impl: Java393}, {ID: 4, Impl: Zkgo}}
	c := StartStandalones(t, specs)
	for _, n := range c.Nodes() {
		r, err := Srvr(n.Addr(), 2*time.Second)
		if err != nil {
			t.Fatalf("%s: srvr: %v", n, err)
		}
		want := "3.9.3" // zkgo claims the newest version it mirrors
		if n.Impl.IsJava() {
			want = strings.TrimPrefix(string(n.Impl), "java-")
		}
		if v := r["Zookeeper version"]; !strings.HasPrefix(v, want+"-") {
			t.Errorf("%s: srvr version %q, want %s-...", n, v, want)
		}
		conn, _, err := zk.Connect([]string{n.Addr()}, 8*time.Second, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
		if err != nil {
			t.Fatal(err)
		}
		data, err := retryZK(20*time.Second, func() ([]byte, error) {
			_, err := conn.Create("/smoke", []byte(string(n.Impl)), 0, zk.WorldACL(zk.PermAll))
			if err != nil && !errors.Is(err, zk.ErrNodeExists) {
				return nil, err
			}
			d, _, err := conn.Get("/smoke")
			return d, err
		})
		conn.Close()
		if err != nil || string(data) != string(n.Impl) {
			t.Errorf("%s: create+get /smoke: %q, %v", n, data, err)
		}
		t.Logf("%s: %s, Mode %s", n, r["Zookeeper version"], r["Mode"])
	}
}

// TestEnvConfig forms a mixed ensemble (zkgo, Java 3.9.3, Java 3.8.0) whose nodes have no
// zoo.cfg or myid mounted: each image builds its configuration from the ZOO_* variables of
// the common ZooKeeper images. A write through one node is read through every other.
func TestEnvConfig(t *testing.T) {
	c := StartEnvCluster(t, []Spec{{ID: 1, Impl: Zkgo}, {ID: 2, Impl: Java393}, {ID: 3, Impl: Java380}})
	nodes := c.Nodes()
	conns := make([]*zk.Conn, len(nodes))
	for i, n := range nodes {
		conn, _, err := zk.Connect([]string{n.Addr()}, 8*time.Second, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conns[i] = conn
	}
	if _, err := retryZK(20*time.Second, func() (string, error) {
		p, err := conns[0].Create("/env", []byte("from-zkgo"), 0, zk.WorldACL(zk.PermAll))
		if errors.Is(err, zk.ErrNodeExists) { // an earlier try that lost its reply
			err = nil
		}
		return p, err
	}); err != nil {
		t.Fatalf("create /env through %s: %v", nodes[0], err)
	}
	for i, n := range nodes {
		data, err := retryZK(20*time.Second, func() ([]byte, error) {
			if _, err := conns[i].Sync("/env"); err != nil {
				return nil, err
			}
			d, _, err := conns[i].Get("/env")
			return d, err
		})
		if err != nil || string(data) != "from-zkgo" {
			t.Errorf("%s: sync+get /env: %q, %v", n, data, err)
		}
		mode, err := c.Mode(n)
		t.Logf("%s: mode %s %v", n, mode, err)
	}
}

// retryZK calls f until it succeeds or d passes (a session may still be connecting).
func retryZK[T any](d time.Duration, f func() (T, error)) (T, error) {
	deadline := time.Now().Add(d)
	for {
		v, err := f()
		if err == nil || time.Now().After(deadline) {
			return v, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The bounded matrix: every fault at least once, each ensemble kind once.
var matrix = []Scenario{
	{
		Name:  "java-3.9.3-x3",
		Specs: []Spec{{1, Java393, false}, {2, Java393, false}, {3, Java393, false}},
		Faults: faultList("kill9-follower", "kill9-leader", "pause-leader", "partition-follower", "partition-leader",
			"partition-majority", "restart-all", "disk-truncate", "disk-flip"),
	},
	{
		Name:   "java-3.9.3-x5",
		Specs:  []Spec{{1, Java393, false}, {2, Java393, false}, {3, Java393, false}, {4, Java393, false}, {5, Java393, false}},
		Faults: faultList("partition-minority", "partition-majority"),
	},
	{
		Name:  "zkgo-x3",
		Specs: []Spec{{1, Zkgo, false}, {2, Zkgo, false}, {3, Zkgo, false}},
		Faults: faultList("kill9-follower", "kill9-leader", "pause-leader", "partition-follower", "partition-leader",
			"partition-majority", "restart-all", "disk-truncate", "disk-flip"),
	},
	{
		Name:   "zkgo-x5",
		Specs:  []Spec{{1, Zkgo, false}, {2, Zkgo, false}, {3, Zkgo, false}, {4, Zkgo, false}, {5, Zkgo, false}},
		Faults: faultList("partition-minority", "partition-majority"),
	},
	{
		// zkgo has the highest id, so it leads a fresh ensemble.
		Name:   "mixed-zkgo-leader",
		Specs:  []Spec{{1, Java393, false}, {2, Java393, false}, {3, Zkgo, false}},
		Leader: 3,
		Faults: faultList("kill9-follower", "partition-leader"),
	},
	{
		Name:   "mixed-java-leader",
		Specs:  []Spec{{1, Zkgo, false}, {2, Java393, false}, {3, Java393, false}},
		Leader: 3,
		Target: Zkgo,
		Faults: faultList("kill9-leader", "disk-truncate"),
	},
	{
		Name:   "mixed-versions",
		Specs:  []Spec{{1, Java380, false}, {2, Java393, false}, {3, Zkgo, false}},
		Target: Zkgo,
		Faults: faultList("pause-leader", "partition-follower"),
	},
}

// TestEnsembles runs the bounded matrix: 3- and 5-node ensembles (all Java 3.9.3, all zkgo,
// mixed) under load with faults, each history checked.
func TestEnsembles(t *testing.T) {
	for _, sc := range matrix {
		t.Run(sc.Name, func(t *testing.T) {
			sc.Seed = *seedFlag
			sc.Run(t, nil)
		})
	}
}
