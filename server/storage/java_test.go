package storage

// Interop of the on-disk formats with Java ZooKeeper (3.4.13, 3.8.0, 3.9.3 from the oracle):
// Java writes a data directory through a real client and our readers take it apart; we write
// one with our writers and Java's tools and servers read it. These tests need Java; the
// oracle fetches it (they never skip).

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/wire"
)

func connectZK(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	c, events, err := zk.Connect([]string{addr}, 20*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return c
			}
		case <-timeout:
			t.Fatalf("no session with %s", addr)
		}
	}
}

// clientTree walks the tree through the client: every path outside /zookeeper to its data.
func clientTree(t *testing.T, c *zk.Conn) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func(p string)
	walk = func(p string) {
		kids, _, err := c.Children(p)
		if err != nil {
			t.Fatalf("children %s: %v", p, err)
		}
		for _, k := range kids {
			cp := strings.TrimSuffix(p, "/") + "/" + k
			if cp == "/zookeeper" {
				continue
			}
			data, _, err := c.Get(cp)
			if err != nil {
				t.Fatalf("get %s: %v", cp, err)
			}
			out[cp] = string(data)
			walk(cp)
		}
	}
	walk("/")
	return out
}

// noErr returns a function that fails t on a non-nil error, for calls returning (value, error).
func noErr(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// javaWorkload drives a Java server through the client: persistent, ephemeral and sequential
// nodes, data, digest ACLs, setData, setACL, delete, multi (good and failing), a failing
// create, and with extended types (3.5+) container and TTL nodes. It returns the session.
func javaWorkload(t *testing.T, c *zk.Conn, addr string, modern bool) {
	ok := noErr(t)
	open := zk.WorldACL(zk.PermAll)
	// a session that ends: closeSession deletes its ephemeral
	c2 := connectZK(t, addr)
	ok(c2.Create("/gone", []byte("bye"), zk.FlagEphemeral, open))
	c2.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if ex, _, err := c.Exists("/gone"); err != nil || !ex || time.Now().After(deadline) {
			break
		}
	}
	ok(c.Create("/app", []byte("v0"), zk.FlagPersistent, open))
	ok(c.Create("/app/eph", []byte("ephemeral"), zk.FlagEphemeral, open))
	var seq []string
	for i := range 3 {
		p, err := c.Create("/app/seq-", []byte(fmt.Sprint("seq", i)), zk.FlagSequence, open)
		if err != nil {
			t.Fatal(err)
		}
		seq = append(seq, p)
	}
	if seq[0] != "/app/seq-0000000001" { // the suffix is /app's cversion: /app/eph came first
		t.Fatalf("sequential node %s", seq[0])
	}
	ok(c.Create("/app/eseq-", nil, zk.FlagEphemeralSequential, open))
	if err := c.AddAuth("digest", []byte("alice:secret")); err != nil {
		t.Fatal(err)
	}
	ok(c.Create("/secure", []byte("for alice"), zk.FlagPersistent, zk.DigestACL(zk.PermAll, "alice", "secret")))
	ok(c.Set("/app", []byte("v1"), 0))
	ok(c.Set("/app", bytes.Repeat([]byte("x"), 2000), 1))
	ok(c.SetACL(seq[1], zk.WorldACL(zk.PermRead|zk.PermWrite), -1))
	if err := c.Delete(seq[0], -1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create("/app", nil, 0, open); !errors.Is(err, zk.ErrNodeExists) {
		t.Fatalf("create existing: %v", err)
	}
	ok(c.Multi(
		&zk.CreateRequest{Path: "/multi", Data: []byte("m"), Acl: open},
		&zk.SetDataRequest{Path: "/multi", Data: []byte("m2"), Version: 0},
		&zk.CreateRequest{Path: "/multi/child", Data: []byte("c"), Acl: open},
		&zk.DeleteRequest{Path: seq[2], Version: -1},
	))
	if _, err := c.Multi(
		&zk.CreateRequest{Path: "/never", Acl: open},
		&zk.CheckVersionRequest{Path: "/app", Version: 99},
	); err == nil {
		t.Fatal("failing multi succeeded")
	}
	if modern {
		ok(c.CreateContainer("/container", []byte("box"), zk.FlagContainer, open))
		ok(c.Create("/container/item", []byte("in box"), 0, open))
		ok(c.CreateTTL("/ttl", []byte("ttl"), zk.FlagTTL, open, time.Hour))
	}
	// enough txns for snapshots and log rolls with snapCount 20
	for i := range 40 {
		ok(c.Create(fmt.Sprintf("/bulk%02d", i), []byte(fmt.Sprint(i)), 0, open))
	}
	for i := range 40 {
		if i%3 == 0 {
			if err := c.Delete(fmt.Sprintf("/bulk%02d", i), -1); err != nil {
				t.Fatal(err)
			}
		} else {
			ok(c.Set(fmt.Sprintf("/bulk%02d", i), []byte(fmt.Sprint("new", i)), -1))
		}
	}
}

// readJavaDir takes every file of a Java data directory apart with the wire readers and
// returns the number of log entries and snapshots read, checking digests and trailers.
func readJavaDir(t *testing.T, dir, version string) (entries, snaps int) {
	t.Helper()
	v2 := filepath.Join(dir, "version-2")
	ents, err := os.ReadDir(v2)
	if err != nil {
		t.Fatal(err)
	}
	modern := version != oracle.V3_4_13
	types, noDigest := map[wire.Op]int{}, map[wire.Op]int{}
	for _, e := range ents {
		path := filepath.Join(v2, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "log."):
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			r, err := wire.NewTxnLogReader(f, path)
			if err != nil {
				t.Fatal(err)
			}
			for {
				le, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				tx, err := wire.DecodeTxn(le.Payload)
				if err != nil {
					t.Fatalf("%s offset %d: %v", path, le.Offset, err)
				}
				if !bytes.Equal(tx.Marshal(), le.Payload) {
					t.Fatalf("%s offset %d: %s re-encodes differently", path, le.Offset, wire.Op(tx.Header.Type))
				}
				if !modern && tx.Digest != nil {
					t.Fatalf("%s offset %d: digest %+v in a %s log", path, le.Offset, tx.Digest, version)
				}
				if modern && tx.Digest == nil {
					noDigest[wire.Op(tx.Header.Type)]++
				}
				if m, ok := tx.Record.(*records.MultiTxn); ok {
					for i := range m.Txns {
						if _, err := wire.DecodeSubTxn(&m.Txns[i]); err != nil {
							t.Fatalf("%s offset %d: %v", path, le.Offset, err)
						}
					}
				}
				types[wire.Op(tx.Header.Type)]++
				entries++
			}
			f.Close()
		case strings.HasPrefix(e.Name(), "snapshot."):
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			r, err := wire.NewSnapshotReader(f, e.Name())
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			_, _, tr, err := wire.ReadSnapshot(r, func(*wire.SnapNode) error { n++; return nil })
			f.Close()
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			wantDigest, wantLast := modern, version == oracle.V3_9_3
			if (tr.Digest != nil) != wantDigest || (tr.LastZxid != nil) != wantLast || n < 3 {
				t.Fatalf("%s: %d nodes, trailer digest %v lastZxid %v", path, n, tr.Digest, tr.LastZxid)
			}
			if tr.Digest != nil && tr.Digest.Version != 2 {
				t.Fatalf("%s: digest version %d", path, tr.Digest.Version)
			}
			snaps++
		}
	}
	for _, op := range []wire.Op{wire.OpCreateSession, wire.OpCloseSession, wire.OpCreate, wire.OpSetData, wire.OpSetACL, wire.OpDelete, wire.OpMulti, wire.OpError} {
		if types[op] == 0 && !(op == wire.OpCreate && types[wire.OpCreate2] > 0) {
			t.Errorf("%s: no %s txn among %v", version, op, types)
		}
	}
	for op := range noDigest {
		if op != wire.OpError { // Java computes no digest for a request that failed in prep
			t.Errorf("%s: %v txns without digest", version, noDigest)
		}
	}
	if modern && (types[wire.OpCreateContainer] == 0 || types[wire.OpCreateTTL] == 0) {
		t.Errorf("%s: no container/TTL txns among %v", version, types)
	}
	t.Logf("%s: %d log entries %v, %d snapshots; without digest: %v", version, entries, types, snaps, noDigest)
	return entries, snaps
}

type javaCase struct {
	version     string
	compression wire.Compression
	jvm         []string
}

func (c javaCase) name() string {
	if c.compression == "" {
		return c.version
	}
	return c.version + "-" + string(c.compression)
}

// snappy-java in Debian's 3.8.0 has a pure-Java codec (it needs java.nio opened on Java 17);
// 3.9.3's snappy-java 1.1.10 needs its JNI library, which the oracle does not fetch, so 3.9.3
// writes gzip here.
var pureSnappy = []string{"-Dorg.xerial.snappy.purejava=true", "--add-opens=java.base/java.nio=ALL-UNNAMED"}

var javaCases = []javaCase{
	{version: oracle.V3_9_3},
	{version: oracle.V3_9_3, compression: wire.CompressGzip},
	{version: oracle.V3_8_0},
	{version: oracle.V3_8_0, compression: wire.CompressSnappy, jvm: pureSnappy},
	{version: oracle.V3_4_13},
}

// TestJavaWrittenDataDir: Java servers write a data directory through a real client; every
// log entry and snapshot parses, Restore rebuilds exactly the tree the client saw, and the
// digests Java logged agree with the reference model.
func TestJavaWrittenDataDir(t *testing.T) {
	for _, jc := range javaCases {
		t.Run(jc.name(), func(t *testing.T) {
			t.Parallel()
			modern := jc.version != oracle.V3_4_13
			jvm := append([]string{"-Dzookeeper.snapCount=20", "-Dzookeeper.extendedTypesEnabled=true"}, jc.jvm...)
			if jc.compression != "" {
				jvm = append(jvm, "-Dzookeeper.snapshot.compression.method="+string(jc.compression))
			}
			srv, err := oracle.StartStandalone(t, jc.version, oracle.Options{JVMFlags: jvm})
			if err != nil {
				t.Fatal(err)
			}
			c := connectZK(t, srv.ClientAddr())
			javaWorkload(t, c, srv.ClientAddr(), modern)
			want := clientTree(t, c)
			session := c.SessionID()
			// Stop with the session open: its ephemerals stay in the database.
			if err := srv.Stop(); err != nil {
				t.Fatal(err)
			}
			entries, snaps := readJavaDir(t, srv.DataDir, jc.version)
			if entries < 50 || snaps < 2 {
				t.Fatalf("only %d entries and %d snapshots", entries, snaps)
			}
			if jc.compression != "" {
				if ms, _ := filepath.Glob(filepath.Join(srv.DataDir, "version-2", "snapshot.*"+jc.compression.Ext())); len(ms) == 0 {
					t.Fatalf("no %s snapshot written", jc.compression)
				}
			}

			s := open(t, Options{DataDir: srv.DataDir})
			m := newModel()
			last, err := s.Restore(m)
			if err != nil {
				t.Fatal(err)
			}
			// (Java's last snapshot may already cover every txn: then nothing is replayed.)
			if last != m.lastZxid {
				t.Fatalf("restore returned 0x%x, model at 0x%x after %d txns", last, m.lastZxid, m.applied)
			}
			got := m.userNodes()
			if !mapsEqual(got, want) {
				t.Fatalf("restored tree differs from the client's view:\n%s", diffMaps(got, want))
			}
			if n := m.nodes["/app/eph"]; n == nil || n.stat.EphemeralOwner != session {
				t.Fatalf("/app/eph: %+v, want owner 0x%x", n, session)
			}
			if modern {
				if m.nodes["/container"].stat.EphemeralOwner != -1<<63 || m.nodes["/ttl"].stat.EphemeralOwner>>56 != -1 {
					t.Fatalf("container/TTL owners %x %x", m.nodes["/container"].stat.EphemeralOwner, m.nodes["/ttl"].stat.EphemeralOwner)
				}
				// Java's snapshots are fuzzy: the digest in a snapshot's trailer can belong to a
				// moment a little after its zxid, so those are only logged; every txn digest
				// must match.
				var hard []string
				for _, mm := range m.mismatches {
					if strings.HasPrefix(mm, "snapshot digest") {
						t.Logf("fuzzy snapshot: %s", mm)
					} else {
						hard = append(hard, mm)
					}
				}
				if len(hard) > 0 || m.digestSeen == 0 {
					t.Fatalf("digests: %d compared, mismatches %v", m.digestSeen, hard)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			// Java's own tools read the same files (a baseline for the Go-written files).
			runJavaTools(t, jc, srv.DataDir, nil, 1)
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func diffMaps(got, want map[string]string) string {
	var out []string
	for k, v := range got {
		if w, ok := want[k]; !ok {
			out = append(out, "extra "+k)
		} else if w != v {
			out = append(out, fmt.Sprintf("%s: %.40q, want %.40q", k, v, w))
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			out = append(out, "missing "+k)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// javaTool runs a main class of the distribution and returns its combined output.
func javaTool(t *testing.T, version string, jvm []string, main string, args ...string) string {
	t.Helper()
	d, err := oracle.Ensure(version)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := d.Command(ctx, jvm, main, args...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %s: %v", main, strings.Join(args, " "), err)
	}
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", main, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// runJavaTools dumps up to most logs with TxnLogToolkit (LogFormatter in 3.4) and up to most
// snapshots with SnapshotFormatter -d; it fails on a CRC error or an exception and checks the dumps
// name the expected paths.
func runJavaTools(t *testing.T, jc javaCase, dataDir string, wantPaths []string, most int) (logs, snaps string) {
	t.Helper()
	v2 := filepath.Join(dataDir, "version-2")
	files, _ := filepath.Glob(filepath.Join(v2, "*"))
	var logOut, snapOut strings.Builder
	nlog, nsnap := 0, 0
	for _, f := range files {
		base := filepath.Base(f)
		switch {
		case strings.HasPrefix(base, "log.") && nlog < most:
			nlog++
			var out string
			if jc.version == oracle.V3_4_13 {
				out = javaTool(t, jc.version, jc.jvm, "org.apache.zookeeper.server.LogFormatter", f)
			} else {
				out = javaTool(t, jc.version, jc.jvm, "org.apache.zookeeper.server.persistence.TxnLogToolkit", "-d", f)
			}
			if strings.Contains(out, "CRC ERROR") || strings.Contains(out, "Exception") || !regexp.MustCompile(`EOF reached after \d+ txns`).MatchString(out) {
				t.Fatalf("%s on %s:\n%s", jc.version, base, out)
			}
			logOut.WriteString(out)
		case strings.HasPrefix(base, "snapshot.") && nsnap < most:
			nsnap++
			args := []string{"-d", f}
			if jc.version == oracle.V3_4_13 {
				args = args[1:] // 3.4 takes the file name only
			}
			out := javaTool(t, jc.version, jc.jvm, "org.apache.zookeeper.server.SnapshotFormatter", args...)
			if strings.Contains(out, "Exception") || !strings.Contains(out, "ZNode Details") {
				t.Fatalf("SnapshotFormatter %s on %s:\n%s", jc.version, base, out)
			}
			snapOut.WriteString(out)
		}
	}
	for _, p := range wantPaths {
		if !strings.Contains(logOut.String()+snapOut.String(), p) {
			t.Errorf("%s tools never mention %s", jc.version, p)
		}
	}
	return logOut.String(), snapOut.String()
}

// goDataDir writes a data directory with our writers, through storage: snapshot.<S> of a tree
// holding the standard nodes, a session owning an ephemeral, nodes with data and a digest ACL,
// then log.<S+1> with createSession, create, setData, setACL, delete, multi, error and
// closeSession txns, each with the tree digest after it. It returns the expected user tree.
func goDataDir(t *testing.T, dir string, c wire.Compression, legacy bool) (map[string]string, *model) {
	t.Helper()
	const (
		snapZxid = int64(0x100000010)
		sessA    = int64(0x10000abcd0001) // in the snapshot, owns /app/ephA
		sessB    = int64(0x10000abcd0002) // created and closed in the log
		now      = int64(1700000000000)
	)
	open := openACL
	sum := sha1.Sum([]byte("alice:secret"))
	digestACL := []records.ACL{{Perms: 31, ID: records.ID{Scheme: "digest", ID: "alice:" + base64.StdEncoding.EncodeToString(sum[:])}}}
	create2 := wire.OpCreate2
	if legacy {
		create2 = wire.OpCreate // 3.4 has no create2 txn
	}
	m := newModel()
	m.sessions[sessA] = 30000
	z := int64(0x100000001)
	hdr := func(client int64, op wire.Op) *records.TxnHeader {
		h := &records.TxnHeader{ClientID: client, Cxid: int32(z & 0xffff), Zxid: z, Time: now + z&0xffff, Type: int32(op)}
		z++
		return h
	}
	seed := func(h *records.TxnHeader, rec jute.Record) {
		if err := m.apply(h, wire.Op(h.Type), rec); err != nil {
			t.Fatal(err)
		}
	}
	// The snapshot's content, built by applying creates (zxids 1..0x10 of epoch 1).
	seed(hdr(sessA, wire.OpCreate), &records.CreateTxn{Path: "/app", Data: []byte("app data"), ACL: open, ParentCVersion: 1})
	seed(hdr(sessA, wire.OpCreate), &records.CreateTxn{Path: "/app/child", Data: []byte("child"), ACL: open, ParentCVersion: 1})
	seed(hdr(sessA, wire.OpCreate), &records.CreateTxn{Path: "/app/ephA", Data: []byte("eph"), ACL: open, Ephemeral: true, ParentCVersion: 2})
	seed(hdr(sessA, wire.OpCreate), &records.CreateTxn{Path: "/secure", Data: []byte("alice only"), ACL: digestACL, ParentCVersion: 2})
	seed(hdr(sessA, wire.OpCreate), &records.CreateTxn{Path: "/empty", Data: nil, ACL: open, ParentCVersion: 3})
	seed(hdr(sessA, wire.OpSetData), &records.SetDataTxn{Path: "/app", Data: []byte("app data v1"), Version: 1})
	for i := int64(0); z <= snapZxid; i++ {
		seed(hdr(sessA, wire.OpCreate), &records.CreateTxn{Path: fmt.Sprintf("/app/n%d", i), Data: []byte(fmt.Sprint("n", i)), ACL: open, ParentCVersion: int32(3 + i)})
	}
	digest := &wire.ZxidDigest{Zxid: snapZxid, Version: 2, Digest: m.digest()}
	lastZxid := snapZxid

	s := open2(t, Options{DataDir: dir, SnapshotCompression: c})
	if last, err := s.Restore(newMemDB()); err != nil || last != 0 {
		t.Fatalf("restore of an empty dir: %d %v", last, err)
	}
	if err := s.SaveSnapshot(snapZxid, m.write(wire.SnapshotTrailer{Digest: digest, LastZxid: &lastZxid})); err != nil {
		t.Fatal(err)
	}
	logTxn := func(h *records.TxnHeader, rec jute.Record) {
		t.Helper()
		if err := m.apply(h, wire.Op(h.Type), rec); err != nil {
			t.Fatal(err)
		}
		s.Append(h.Zxid, wire.MarshalTxn(h, rec, &records.TxnDigest{Version: 2, TreeDigest: m.digest()}))
	}
	sub := func(op wire.Op, r jute.Record) records.Txn {
		return records.Txn{Type: int32(op), Data: jute.Marshal(r)}
	}
	logTxn(hdr(sessB, wire.OpCreateSession), &records.CreateSessionTxn{TimeOut: 10000})
	logTxn(hdr(sessB, create2), &records.CreateTxn{Path: "/app/ephB", Data: []byte("b"), ACL: open, Ephemeral: true, ParentCVersion: m.nodes["/app"].stat.Cversion + 1})
	logTxn(hdr(sessB, wire.OpCreate), &records.CreateTxn{Path: "/fromlog", Data: []byte("logged"), ACL: open, ParentCVersion: m.nodes[""].stat.Cversion + 1})
	logTxn(hdr(sessB, wire.OpSetData), &records.SetDataTxn{Path: "/app/child", Data: []byte("child v1"), Version: 1})
	logTxn(hdr(sessB, wire.OpSetACL), &records.SetACLTxn{Path: "/fromlog", ACL: digestACL, Version: 1})
	logTxn(hdr(sessB, wire.OpDelete), &records.DeleteTxn{Path: "/app/n0"})
	logTxn(hdr(sessB, wire.OpError), &records.ErrorTxn{Err: -110})
	logTxn(hdr(sessB, wire.OpMulti), &records.MultiTxn{Txns: []records.Txn{
		sub(wire.OpCreate, &records.CreateTxn{Path: "/multi", Data: []byte("m"), ACL: open, ParentCVersion: m.nodes[""].stat.Cversion + 1}),
		sub(wire.OpCheck, &records.CheckVersionTxn{Path: "/multi", Version: 0}),
		sub(wire.OpSetData, &records.SetDataTxn{Path: "/multi", Data: []byte("m2"), Version: 1}),
	}})
	logTxn(hdr(sessB, wire.OpCloseSession), &records.CloseSessionTxn{Paths2Delete: []string{"/app/ephB"}})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want := m.userNodes()
	if _, ok := want["/app/ephB"]; ok || want["/multi"] != "m2" || want["/app/ephA"] != "eph" {
		t.Fatalf("model: %v", want)
	}
	return want, m
}

// open2 is open without the small preallocation of the unit tests: Java sees 64 MiB files.
func open2(t testing.TB, o Options) *Storage {
	o.Logger = quietLogger()
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestJavaReadsGoDataDir: a data directory written by our writers is read by Java's
// TxnLogToolkit / LogFormatter and SnapshotFormatter, and Java servers start on it and serve
// the tree, with no digest mismatch.
func TestJavaReadsGoDataDir(t *testing.T) {
	cases := []javaCase{
		{version: oracle.V3_9_3},
		{version: oracle.V3_9_3, compression: wire.CompressGzip},
		{version: oracle.V3_8_0},
		{version: oracle.V3_8_0, compression: wire.CompressSnappy, jvm: pureSnappy},
		{version: oracle.V3_4_13},
	}
	for _, jc := range cases {
		t.Run(jc.name(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			want, _ := goDataDir(t, dir, jc.compression, jc.version == oracle.V3_4_13)
			// Our own restore agrees, digests included.
			rm := newModel()
			if _, err := restoreInto(t, dir, rm); err != nil {
				t.Fatal(err)
			}
			if !mapsEqual(rm.userNodes(), want) || len(rm.mismatches) > 0 || rm.digestSeen != 10 {
				t.Fatalf("our restore: %s; digests %d %v", diffMaps(rm.userNodes(), want), rm.digestSeen, rm.mismatches)
			}

			paths := []string{"/app/ephB", "/fromlog", "/multi", "/app/n0"}
			if jc.version == oracle.V3_4_13 {
				paths = paths[:2] // LogFormatter prints a multi's sub-txns as bytes
			}
			logs, snaps := runJavaTools(t, jc, dir, paths, 10)
			if !strings.Contains(logs, "EOF reached after 9 txns") {
				t.Errorf("%s log dump:\n%s", jc.version, logs)
			}
			for _, w := range []string{"createSession", "closeSession", "multi", "error", "setACL"} {
				if !strings.Contains(logs, " "+w+" ") {
					t.Errorf("%s log dump shows no %s:\n%s", jc.version, w, logs)
				}
			}
			// 23 nodes: "", /zookeeper, /zookeeper/quota, /zookeeper/config, /app, /app/child,
			// /app/ephA, /secure, /empty and /app/n0../app/n9 ... as many as fit below 0x10
			if !strings.Contains(snaps, "ZNode Details (count=") || !strings.Contains(snaps, "/secure") || !strings.Contains(snaps, "/app/ephA") {
				t.Errorf("SnapshotFormatter:\n%s", snaps)
			}

			// A Java server starts on a copy and serves the tree.
			jdir := filepath.Join(t.TempDir(), "data")
			copyDir(t, dir, jdir)
			srv, err := oracle.StartStandalone(t, jc.version, oracle.Options{DataDir: jdir, JVMFlags: jc.jvm})
			if err != nil {
				t.Fatal(err)
			}
			c := connectZK(t, srv.ClientAddr())
			if err := c.AddAuth("digest", []byte("alice:secret")); err != nil {
				t.Fatal(err)
			}
			got := clientTree(t, c)
			if !mapsEqual(got, want) {
				t.Fatalf("Java %s serves a different tree:\n%s", jc.version, diffMaps(got, want))
			}
			_, st, err := c.Get("/app/ephA")
			if err != nil || st.EphemeralOwner != 0x10000abcd0001 {
				t.Fatalf("/app/ephA: %+v %v", st, err)
			}
			c2 := connectZK(t, srv.ClientAddr())
			if _, _, err := c2.Get("/secure"); !errors.Is(err, zk.ErrNoAuth) {
				t.Fatalf("/secure without auth: %v", err)
			}
			if _, _, err := c2.Get("/fromlog"); !errors.Is(err, zk.ErrNoAuth) {
				t.Fatalf("/fromlog after setACL without auth: %v", err)
			}
			if jc.version != oracle.V3_4_13 {
				mntr, err := srv.FourLetter("mntr", 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(mntr, "zk_digest_mismatches_count\t0") {
					t.Fatalf("mntr:\n%s", mntr)
				}
				if log := srv.LogTail(400); strings.Contains(log, "Digests are not matching") || strings.Contains(log, "digest mismatch") {
					t.Fatalf("Java reports a digest mismatch:\n%s", log)
				}
			}
		})
	}
}

func restoreInto(t *testing.T, dir string, l Loader) (int64, error) {
	t.Helper()
	s := open2(t, Options{DataDir: dir})
	defer s.Close()
	return s.Restore(l)
}
