package zkserver_test

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/zkserver"
)

func startZkgo(t testing.TB, dataDir string, extra ...string) *zkserver.Server {
	t.Helper()
	text := fmt.Sprintf("tickTime=2000\ndataDir=%s\nclientPort=1\n4lw.commands.whitelist=*\nadmin.enableServer=false\n%s\n", dataDir, strings.Join(extra, "\n"))
	cfg, err := config.Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var out io.Writer = io.Discard
	if os.Getenv("ZKGO_TEST_LOG") != "" {
		out = os.Stderr
	}
	s, err := zkserver.Start(cfg, zkserver.Options{Logger: slog.New(slog.NewTextHandler(out, nil)), Listener: ln})
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	return s
}

func dial(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	c, ev, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	timeout := time.After(20 * time.Second)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				return c
			}
		case <-timeout:
			c.Close()
			t.Fatalf("no session on %s", addr)
		}
	}
}

// workload writes a recognisable tree: nested nodes, data, a digest ACL, sequentials, a
// deleted node and updates.
func workload(t *testing.T, c *zk.Conn, prefix string) {
	t.Helper()
	acl := zk.WorldACL(zk.PermAll)
	must := func(_ string, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Create(prefix, []byte("root"), 0, acl))
	for i := 0; i < 30; i++ {
		must(c.Create(fmt.Sprintf("%s/n%02d", prefix, i), []byte(fmt.Sprintf("value-%d", i)), 0, acl))
	}
	must(c.Create(prefix+"/seq-", nil, zk.FlagSequence, acl))
	must(c.Create(prefix+"/seq-", nil, zk.FlagSequence, acl))
	must(c.Create(prefix+"/secret", []byte("s"), 0, zk.DigestACL(zk.PermAll, "user", "pw")))
	if _, err := c.Set(prefix+"/n01", []byte("updated"), 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(prefix+"/n02", -1); err != nil {
		t.Fatal(err)
	}
}

// readTree returns path -> data+version of everything under prefix (readable nodes).
func readTree(t *testing.T, c *zk.Conn, prefix string) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func(p string)
	walk = func(p string) {
		d, st, err := c.Get(p)
		if err == zk.ErrNoAuth {
			out[p] = "noauth"
			return
		}
		if err != nil {
			t.Fatalf("get %s: %v", p, err)
		}
		out[p] = fmt.Sprintf("%q v%d cv%d", d, st.Version, st.Cversion)
		kids, _, err := c.Children(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range kids {
			walk(p + "/" + k)
		}
	}
	walk(prefix)
	return out
}

func sameTree(t *testing.T, what string, a, b map[string]string) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d nodes vs %d", what, len(a), len(b))
	}
	for k, v := range a {
		if b[k] != v {
			t.Fatalf("%s: %s = %s vs %s", what, k, v, b[k])
		}
	}
}

func TestRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	s := startZkgo(t, dir, "snapCount=10")
	c := dial(t, s.Addr())
	workload(t, c, "/r")
	want := readTree(t, c, "/r")
	c.Close()
	s.Close()
	s = startZkgo(t, dir)
	defer s.Close()
	c = dial(t, s.Addr())
	defer c.Close()
	sameTree(t, "after restart", want, readTree(t, c, "/r"))
}

// TestDataDirSwap: a dataDir written by zkgo is served by Java 3.8.0 and 3.9.3, and a dataDir
// written by Java 3.4.13, 3.8.0 and 3.9.3 is served by zkgo, with the same tree.
func TestDataDirSwap(t *testing.T) {
	t.Run("zkgo-to-java", func(t *testing.T) {
		for _, v := range []string{"3.8.0", "3.9.3"} {
			dir := t.TempDir()
			s := startZkgo(t, dir, "snapCount=16")
			c := dial(t, s.Addr())
			workload(t, c, "/swap")
			want := readTree(t, c, "/swap")
			c.Close()
			s.Close()
			j, err := oracle.StartStandalone(t, v, oracle.Options{DataDir: dir})
			if err != nil {
				t.Fatalf("java %s on zkgo's dataDir: %v", v, err)
			}
			jc := dial(t, j.ClientAddr())
			sameTree(t, "java "+v+" reading zkgo's data", want, readTree(t, jc, "/swap"))
			// Java writes more; zkgo takes the directory back.
			if _, err := jc.Create("/swap/fromjava", []byte(v), 0, zk.WorldACL(zk.PermAll)); err != nil {
				t.Fatal(err)
			}
			want = readTree(t, jc, "/swap")
			jc.Close()
			j.Stop()
			s = startZkgo(t, dir)
			c = dial(t, s.Addr())
			sameTree(t, "zkgo back on the dataDir after java "+v, want, readTree(t, c, "/swap"))
			c.Close()
			s.Close()
		}
	})
	t.Run("java-to-zkgo", func(t *testing.T) {
		for _, v := range []string{"3.4.13", "3.8.0", "3.9.3"} {
			dir := t.TempDir()
			j, err := oracle.StartStandalone(t, v, oracle.Options{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			jc := dial(t, j.ClientAddr())
			workload(t, jc, "/swap")
			want := readTree(t, jc, "/swap")
			jc.Close()
			j.Stop()
			extra := []string{}
			if v == "3.4.13" {
				// 3.4 writes no snapshot until snapCount: the 3.4 upgrade switch, as Java needs.
				extra = append(extra, "snapshot.trust.empty=true")
			}
			s := startZkgo(t, dir, extra...)
			c := dial(t, s.Addr())
			sameTree(t, "zkgo reading java "+v+"'s data", want, readTree(t, c, "/swap"))
			c.Close()
			s.Close()
		}
	})
}
