package zkserver_test

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// buildZkgo builds the zkgo binary once per test binary.
var buildZkgo = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "zkgo-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "zkgo")
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/zkgo")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestCrashKeepsAcknowledgedWrites kills a zkgo process with SIGKILL at random moments under
// a write load, restarts it on the same dataDir, and checks that every write the client saw
// acknowledged is there and that the tree is a prefix of the writes issued (no holes).
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	bin, err := buildZkgo()
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ZKGO_CRASH_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (ZKGO_CRASH_SEED to replay)", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	dir := t.TempDir()
	port := freePort(t)
	cfgPath := filepath.Join(dir, "zoo.cfg")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf("tickTime=500\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\nsnapCount=40\npreAllocSize=64\n", filepath.Join(dir, "data"), port)), 0o644)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	next := 0   // next key to write
	acked := -1 // highest key acknowledged
	const runs = 8
	for run := 0; run < runs; run++ {
		cmd := exec.Command(bin, "server", cfgPath)
		cmd.Env = append(os.Environ(), "ZKGO_LOG=warn")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		c := dial(t, addr)
		// Every acknowledged key so far must be present, and nothing beyond what was issued.
		kids, _, err := c.Children("/")
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, k := range kids {
			have[k] = true
		}
		for i := 0; i <= acked; i++ {
			if !have[fmt.Sprintf("k%06d", i)] {
				t.Fatalf("run %d (seed %d): acknowledged write k%06d lost", run, seed, i)
			}
		}
		top := acked
		for have[fmt.Sprintf("k%06d", top+1)] {
			top++
		}
		if top >= next {
			t.Fatalf("run %d: key k%06d present but never issued", run, top)
		}
		for i := top + 1; i < next; i++ {
			if have[fmt.Sprintf("k%06d", i)] {
				t.Fatalf("run %d (seed %d): hole: k%06d present after missing k%06d", run, seed, i, top+1)
			}
		}
		next, acked = top+1, top
		// Write until killed.
		killAt := time.Duration(50+rng.IntN(400)) * time.Millisecond
		timer := time.AfterFunc(killAt, func() { cmd.Process.Signal(syscall.SIGKILL) })
		for {
			_, err := c.Create(fmt.Sprintf("/k%06d", next), []byte("x"), 0, zk.WorldACL(zk.PermAll))
			next++
			if err != nil {
				break
			}
			acked = next - 1
		}
		timer.Stop()
		c.Close()
		cmd.Wait()
	}
	t.Logf("%d runs, %d writes acknowledged", runs, acked+1)
}
