package clients

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/zkgotest"
)

// zkCli (Java 3.9.3's org.apache.zookeeper.ZooKeeperMain) against zkgo and against Java 3.9.3:
// one session fed commands on stdin (3.9.3 looks for jline 2, finds none and reads plain
// lines: "JLine support is disabled"), stdout and stderr in one stream (zkCli prints
// "Created ..." and errors on stderr, data and stats on stdout). The two transcripts must be
// equal once times, zxids, session ids, the server address and the client's log lines are
// normalised away.

// zkcliStep is one stdin line; after writing it the test waits until the transcript shows
// events WatchedEvent lines of type other than None (so that the asynchronous WATCHER output
// is complete before zkCli exits at the end of its input).
type zkcliStep struct {
	line   string
	events int
}

var zkcliScript = []zkcliStep{
	{line: `create /zkcli "hello world"`},
	{line: `create /zkcli/child c1`},
	{line: `create -e /zkcli/eph e`},
	{line: `create -s /zkcli/seq- s`},
	{line: `create -s /zkcli/seq- s`},
	{line: `create /zkcli again`},
	{line: `create /missing/child x`},
	{line: `get /zkcli`},
	{line: `get -s /zkcli`},
	{line: `get /nope`},
	{line: `set /zkcli v2`},
	{line: `set -s /zkcli v3`},
	{line: `set -v 1 /zkcli v4`},
	{line: `set /nope x`},
	{line: `stat /zkcli`},
	{line: `stat /zkcli/eph`},
	{line: `stat /nope`},
	{line: `ls /zkcli`},
	{line: `ls -s /zkcli`},
	{line: `ls -R /zkcli`},
	{line: `ls /`},
	{line: `ls /nope`},
	{line: `delete /zkcli`},
	{line: `delete -v 5 /zkcli/eph`},
	{line: `delete /nope`},
	{line: `delete /zkcli/child`},
	// Persistent watches: PERSISTENT on /w (data, children, deletion of /w itself; not
	// recursive), PERSISTENT_RECURSIVE on /r. (zkCli's default mode is PERSISTENT_RECURSIVE,
	// but its command objects are reused and keep the -m of an earlier addWatch: so -m always.)
	{line: `create /w w0`},
	{line: `create /r`},
	{line: `addWatch -m PERSISTENT /w`},
	{line: `addWatch -m PERSISTENT_RECURSIVE /r`},
	{line: `addWatch -m BOGUS /w`},
	{line: `set /w w1`, events: 1},
	{line: `create /w/c c`, events: 2},
	{line: `set /w/c c1`}, // not seen by a non-recursive watch
	{line: `delete /w/c`, events: 3},
	{line: `create /r/a a`, events: 4},
	{line: `create /r/a/b b`, events: 5},
	{line: `set /r/a/b b1`, events: 6},
	{line: `delete /r/a/b`, events: 7},
	{line: `delete /w`, events: 8},
	// A one-shot data watch next to the persistent ones.
	{line: `get -w /r/a`},
	// One NodeDataChanged: the server notifies a connection once per event, and zkCli's
	// default watcher stands behind both watches.
	{line: `set /r/a a1`, events: 9},
	{line: `set /r/a a2`, events: 10}, // the recursive watch only
	{line: `stat /r/a`},
	{line: `ls -R /`},
	{line: `get /zkcli/child`},
}

func TestZkCliAgainstZkgoAndJava(t *testing.T) {
	dist, err := oracle.Ensure(oracle.V3_9_3)
	if err != nil {
		t.Fatal(err)
	}
	js, err := oracle.StartStandalone(t, oracle.V3_9_3, oracle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	zs := zkgotest.Start(t)

	// The two runs at once: each is mostly JVM start-up.
	var java, zkgo zkcliResult
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); java = runZkCli(dist, js.ClientAddr(), zkcliScript) }()
	go func() { defer wg.Done(); zkgo = runZkCli(dist, zs.Addr(), zkcliScript) }()
	wg.Wait()
	for _, r := range []struct {
		name string
		res  zkcliResult
	}{{"java", java}, {"zkgo", zkgo}} {
		if r.res.err != nil {
			t.Fatalf("zkCli against %s: %v\nraw transcript:\n%s", r.name, r.res.err, r.res.raw)
		}
	}

	jn, zn := normalizeZkCli(java.raw), normalizeZkCli(zkgo.raw)
	t.Logf("normalised transcript (Java 3.9.3), exit %d:\n%s", java.exit, jn)

	// The transcript must show what the script did (guards against a run that, say, never
	// connected on both sides alike).
	for _, want := range []string{
		"Created /zkcli\n", "Created /zkcli/seq-0000000002\n", "Node already exists: /zkcli\n",
		"hello world\n", "dataVersion = 2\n", "version No is not valid : /zkcli\n", "Node not empty: /zkcli\n",
		"event: WatchedEvent state:SyncConnected type:NodeDataChanged path:/w zxid: <zxid",
		"event: WatchedEvent state:SyncConnected type:NodeDeleted path:/r/a/b zxid: <zxid",
	} {
		if !strings.Contains(jn, want) {
			t.Errorf("the Java transcript lacks %q", want)
		}
	}
	if jn != zn {
		t.Errorf("zkCli transcripts differ (- Java 3.9.3, + zkgo):\n%s", lineDiff(jn, zn))
	}
	if java.exit != zkgo.exit {
		t.Errorf("zkCli exit status: Java %d, zkgo %d", java.exit, zkgo.exit)
	}
	if t.Failed() {
		t.Logf("raw transcript (Java 3.9.3):\n%s\nraw transcript (zkgo):\n%s", java.raw, zkgo.raw)
	}
}

type zkcliResult struct {
	raw  string
	exit int
	err  error
}

// runZkCli runs ZooKeeperMain -server addr, feeding the steps on stdin.
func runZkCli(dist *oracle.Dist, addr string, steps []zkcliStep) zkcliResult {
	cmd := exec.Command(dist.Java, "-Xmx128m", "-XX:+UseSerialGC", "-cp", dist.Classpath,
		"org.apache.zookeeper.ZooKeeperMain", "-server", addr)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return zkcliResult{err: err}
	}
	r, w, err := os.Pipe()
	if err != nil {
		return zkcliResult{err: err}
	}
	cmd.Stdout, cmd.Stderr = w, w // one descriptor: Java's println order is kept
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return zkcliResult{err: err}
	}
	w.Close()

	var mu sync.Mutex
	var out strings.Builder
	events := 0
	grew := make(chan struct{}, 1)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			mu.Lock()
			out.WriteString(sc.Text())
			out.WriteByte('\n')
			if strings.HasPrefix(sc.Text(), "WatchedEvent ") && !strings.Contains(sc.Text(), " type:None ") {
				events++
			}
			mu.Unlock()
			select {
			case grew <- struct{}{}:
			default:
			}
		}
	}()
	transcript := func() string { mu.Lock(); defer mu.Unlock(); return out.String() }

	fail := func(err error) zkcliResult {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
		r.Close()
		<-readDone
		return zkcliResult{raw: transcript(), err: err}
	}
	for _, s := range steps {
		if _, err := io.WriteString(stdin, s.line+"\n"); err != nil {
			return fail(fmt.Errorf("writing %q: %v", s.line, err))
		}
		if s.events == 0 {
			continue
		}
		deadline := time.After(20 * time.Second)
		for {
			mu.Lock()
			n := events
			mu.Unlock()
			if n >= s.events {
				break
			}
			select {
			case <-grew:
			case <-readDone:
				return fail(fmt.Errorf("zkCli ended waiting for watch event %d after %q", s.events, s.line))
			case <-deadline:
				return fail(fmt.Errorf("no watch event %d within 20s after %q (%d seen)", s.events, s.line, n))
			}
		}
	}
	stdin.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var werr error
	select {
	case werr = <-exited:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-exited
		r.Close()
		<-readDone
		return zkcliResult{raw: transcript(), err: fmt.Errorf("zkCli did not exit within 60s of the end of its input")}
	}
	<-readDone
	r.Close()
	res := zkcliResult{raw: transcript()}
	if ee, ok := werr.(*exec.ExitError); ok {
		res.exit = ee.ExitCode()
	} else if werr != nil {
		res.err = werr
	}
	return res
}

var (
	// slf4j-simple: "[thread] LEVEL logger - message", and any stack trace under it.
	zkcliLogLine   = regexp.MustCompile(`^\[[^\]]*\] (TRACE|DEBUG|INFO|WARN|ERROR) \S+ - |^\s+at |^Caused by: |^\s+\.\.\. \d+ more$`)
	zkcliConnect   = regexp.MustCompile(`^Connecting to \S+$`)
	zkcliDate      = regexp.MustCompile(`\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 0-9]\d \d\d:\d\d:\d\d [A-Z]+ \d{4}\b`)
	zkcliStatZxid  = regexp.MustCompile(`^([cmp]Zxid = )(0x[0-9a-f]+)$`)
	zkcliEventZxid = regexp.MustCompile(`^(WatchedEvent .* zxid: )(-?\d+)$`)
	zkcliOwner     = regexp.MustCompile(`^(ephemeralOwner = )(0x[0-9a-f]+)$`)
)

// normalizeZkCli drops the client's log lines and blank lines, names the server "<server>",
// replaces dates by <time>, zxids by their rank among the transcript's zxids (<zxid1> is the
// smallest) and session ids by order of first appearance (<session1>, ...), so equal values
// stay equal, different ones different and the order of zxids is kept. Watch notifications
// (printed by zkCli's event thread as "WATCHER::" then "WatchedEvent ...") are moved to
// "event: ..." lines after the rest: the test waits for each before going on, but their place
// among the command output is not fixed.
func normalizeZkCli(raw string) string {
	var lines []string
	var seen []int64
	for _, line := range strings.Split(raw, "\n") {
		line = strings.TrimRight(line, " \r")
		if line == "" || line == "WATCHER::" || zkcliLogLine.MatchString(line) {
			continue
		}
		lines = append(lines, line)
		if m := zkcliStatZxid.FindStringSubmatch(line); m != nil {
			v, _ := strconv.ParseInt(m[2][2:], 16, 64)
			seen = append(seen, v)
		} else if m := zkcliEventZxid.FindStringSubmatch(line); m != nil {
			if v, _ := strconv.ParseInt(m[2], 10, 64); v >= 0 {
				seen = append(seen, v)
			}
		}
	}
	slices.Sort(seen)
	seen = slices.Compact(seen)
	zxidName := func(v int64) string {
		if v < 0 { // a connection event's zxid: -1
			return strconv.FormatInt(v, 10)
		}
		i, _ := slices.BinarySearch(seen, v)
		return fmt.Sprintf("<zxid%d>", i+1)
	}
	sessions := map[string]string{}
	var body, events []string
	for _, line := range lines {
		if zkcliConnect.MatchString(line) {
			line = "Connecting to <server>"
		}
		line = zkcliDate.ReplaceAllString(line, "<time>")
		if m := zkcliStatZxid.FindStringSubmatch(line); m != nil {
			v, _ := strconv.ParseInt(m[2][2:], 16, 64)
			line = m[1] + zxidName(v)
		}
		if m := zkcliOwner.FindStringSubmatch(line); m != nil && m[2] != "0x0" {
			n, ok := sessions[m[2]]
			if !ok {
				n = fmt.Sprintf("<session%d>", len(sessions)+1)
				sessions[m[2]] = n
			}
			line = m[1] + n
		}
		if m := zkcliEventZxid.FindStringSubmatch(line); m != nil {
			v, _ := strconv.ParseInt(m[2], 10, 64)
			events = append(events, "event: "+m[1]+zxidName(v))
			continue
		}
		body = append(body, line)
	}
	return strings.Join(append(body, events...), "\n") + "\n"
}

// lineDiff is a plain line-by-line comparison (enough for transcripts of equal shape).
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var sb strings.Builder
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x == y {
			fmt.Fprintf(&sb, "  %s\n", x)
			continue
		}
		if i < len(al) {
			fmt.Fprintf(&sb, "- %s\n", x)
		}
		if i < len(bl) {
			fmt.Fprintf(&sb, "+ %s\n", y)
		}
	}
	return sb.String()
}

func TestNormalizeZkCli(t *testing.T) {
	raw := `Connecting to 127.0.0.1:40235
[main] INFO org.apache.zookeeper.ZooKeeper - Client environment:host.name=localhost
	at org.apache.zookeeper.ClientCnxn.run(ClientCnxn.java:1)

WATCHER::

WatchedEvent state:SyncConnected type:None path:null zxid: -1
cZxid = 0x1a
ctime = Sun Nov 22 06:44:02 UTC 2026
mZxid = 0x1b
ephemeralOwner = 0x100004f7b1e0000

WATCHER::

WatchedEvent state:SyncConnected type:NodeDataChanged path:/w zxid: 27
ephemeralOwner = 0x0
ephemeralOwner = 0x100004f7b1e0000
`
	want := `Connecting to <server>
cZxid = <zxid1>
ctime = <time>
mZxid = <zxid2>
ephemeralOwner = <session1>
ephemeralOwner = 0x0
ephemeralOwner = <session1>
event: WatchedEvent state:SyncConnected type:None path:null zxid: -1
event: WatchedEvent state:SyncConnected type:NodeDataChanged path:/w zxid: <zxid2>
`
	if got := normalizeZkCli(raw); got != want {
		t.Errorf("normalizeZkCli:\n%s", lineDiff(want, got))
	}
	// Zxid relations survive: the same transcript with the event one zxid later differs.
	other := strings.Replace(raw, "zxid: 27", "zxid: 28", 1)
	if normalizeZkCli(other) == want {
		t.Errorf("a different zxid relation normalised to the same transcript")
	}
}
