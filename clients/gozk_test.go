package clients

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkgo/zkgo/oracle"
)

// gozkStandalone are go-zookeeper/zk v1.0.4's integration tests that run one server, less
// TestIntegration_Children (10,000 creates of 2,000-byte names: 35 to 75 s per target). They
// take about 1.5 to 3 minutes for both targets; the whole suite (47 tests, 7 of them on
// 3-server clusters) takes 8 to 10 minutes on this 2-core machine and is left to
// scripts/gozk-suite.sh, or to this test with ZKGO_GOZK_ALL=1.
var gozkStandalone = []string{
	"TestIntegration_WaitForClose",
	"TestIntegration_BadSession",
	"TestIntegration_DNSHostProviderCreate",
	"TestIntegration_Lock",
	"TestIntegration_MultiLevelLock",
	"TestIntegration_StateChanges",
	"TestIntegration_Create",
	"TestIntegration_CreateTTL",
	"TestIntegration_CreateContainer",
	"TestIntegration_OpsAfterCloseDontDeadlock",
	"TestIntegration_Multi",
	"TestIntegration_IfAuthdataSurvivesReconnect",
	"TestIntegration_MultiFailures",
	"TestIntegration_GetSetACL",
	"TestIntegration_Auth",
	"TestIntegration_ChildWatch",
	"TestIntegration_SetWatchers",
	"TestIntegration_ExpiringWatch",
	"TestIntegration_SlowServer",
	"TestIntegration_MaxBufferSize",
}

// TestGoZookeeperSuite runs go-zookeeper/zk's own integration tests against zkgo and against
// Java 3.9.3 through scripts/gozk-suite.sh: zkgo must pass every test Java passes, and Java
// must pass them all (else the comparison proves nothing).
func TestGoZookeeperSuite(t *testing.T) {
	if _, err := oracle.Ensure(oracle.V3_9_3); err != nil { // fetched here, not inside the script
		t.Fatal(err)
	}
	repo, err := oracle.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	run := "^(" + strings.Join(gozkStandalone, "|") + ")$"
	if os.Getenv("ZKGO_GOZK_ALL") == "1" {
		run = ""
	}
	work := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(repo, "scripts", "gozk-suite.sh"), "both")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "GOZK_WORK="+work, "GOZK_RUN="+run)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("scripts/gozk-suite.sh both (%.0fs):\n%s", time.Since(start).Seconds(), out)
	if err != nil {
		t.Errorf("scripts/gozk-suite.sh: %v", err)
	}

	java := readGozkResults(t, filepath.Join(work, "java.results"))
	zkgo := readGozkResults(t, filepath.Join(work, "zkgo.results"))
	want := gozkStandalone
	if run == "" {
		want = nil
		for name := range java {
			want = append(want, name)
		}
		if len(want) < 47 {
			t.Errorf("the Java run has %d tests; go-zookeeper/zk v1.0.4 has 47", len(want))
		}
	}
	for _, name := range want {
		if java[name] != "PASS" {
			t.Errorf("%s: %q on Java 3.9.3, want PASS", name, java[name])
		}
		if zkgo[name] != "PASS" {
			t.Errorf("%s: %q on zkgo, want PASS", name, zkgo[name])
		}
	}
}

// readGozkResults reads the script's "Test STATUS SECONDS RUNS" lines.
func readGozkResults(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("scripts/gozk-suite.sh left no results: %v", err)
	}
	defer f.Close()
	res := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) >= 2 {
			res[fs[0]] = fs[1]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return res
}
