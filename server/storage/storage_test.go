package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

var openACL = []records.ACL{{Perms: 31, ID: records.ID{Scheme: "world", ID: "anyone"}}}

// memDB is a minimal Loader: paths to data, plus what was applied.
type memDB struct {
	sessions map[int64]int32
	nodes    map[string][]byte
	applied  []int64
	snapZxid int64
	loads    []int64 // snapshot zxids LoadSnapshot was called with
}

func newMemDB() *memDB {
	return &memDB{sessions: map[int64]int32{}, nodes: map[string][]byte{"": {}, "/zookeeper": {}, "/zookeeper/quota": {}}}
}

func (m *memDB) LoadSnapshot(r *wire.SnapshotReader, zxid int64) error {
	m.loads = append(m.loads, zxid)
	m.sessions, m.nodes, m.applied, m.snapZxid = map[int64]int32{}, map[string][]byte{}, nil, zxid
	ss, err := r.Sessions()
	if err != nil {
		return err
	}
	for _, s := range ss {
		m.sessions[s.ID] = s.Timeout
	}
	if _, err := r.ACLs(); err != nil {
		return err
	}
	for {
		n, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		m.nodes[n.Path] = n.Data
	}
}

func (m *memDB) ApplyTxn(hdr *records.TxnHeader, txn jute.Record, _ *records.TxnDigest, _ []byte) error {
	m.applied = append(m.applied, hdr.Zxid)
	switch t := txn.(type) {
	case *records.CreateTxn:
		m.nodes[t.Path] = t.Data
	case *records.SetDataTxn:
		m.nodes[t.Path] = t.Data
	case *records.DeleteTxn:
		delete(m.nodes, t.Path)
	case *records.CreateSessionTxn:
		m.sessions[hdr.ClientID] = t.TimeOut
	}
	return nil
}

// write is a TakeSnapshot write function for m's current content.
func (m *memDB) write() func(*wire.SnapshotWriter) error {
	paths := make([]string, 0, len(m.nodes))
	for p := range m.nodes {
		paths = append(paths, p)
	}
	sort.Strings(paths) // a parent sorts before its children
	var sessions []wire.SnapSession
	for id, to := range m.sessions {
		sessions = append(sessions, wire.SnapSession{ID: id, Timeout: to})
	}
	nodes := make([]wire.SnapNode, len(paths))
	for i, p := range paths {
		nodes[i] = wire.SnapNode{Path: p, Data: m.nodes[p], ACL: -1}
	}
	return func(w *wire.SnapshotWriter) error {
		return wire.WriteSnapshot(w, sessions, nil, nodes, wire.SnapshotTrailer{})
	}
}

func createEntry(zxid int64, path string, data []byte) []byte {
	hdr := records.TxnHeader{ClientID: 1, Cxid: int32(zxid), Zxid: zxid, Time: 1700000000000, Type: int32(wire.OpCreate)}
	return wire.MarshalTxn(&hdr, &records.CreateTxn{Path: path, Data: data, ACL: openACL}, &records.TxnDigest{Version: 2, TreeDigest: zxid})
}

func nodePath(zxid int64) string { return fmt.Sprintf("/n%x", zxid) }

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func open(t testing.TB, o Options) *Storage {
	t.Helper()
	if o.Logger == nil {
		o.Logger = quietLogger()
	}
	if o.PreAllocSize == 0 {
		o.PreAllocSize = 1 << 20 // keep test files small
	}
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// appendRange appends creates for zxids [from, to] and waits until they are durable.
func appendRange(t testing.TB, s *Storage, from, to int64) {
	t.Helper()
	for z := from; z <= to; z++ {
		s.Append(z, createEntry(z, nodePath(z), []byte(fmt.Sprint(z))))
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if got := s.LastDurable(); got != to {
		t.Fatalf("LastDurable %x, want %x", got, to)
	}
}

// restore opens dir afresh and restores it into a new memDB.
func restore(t testing.TB, o Options) (*memDB, int64, error) {
	t.Helper()
	s := open(t, o)
	db := newMemDB()
	last, err := s.Restore(db)
	s.Close()
	return db, last, err
}

// freshDB opens an empty dir, restores it and writes snapshot.0 as a server would.
func freshDB(t testing.TB, o Options) *Storage {
	t.Helper()
	s := open(t, o)
	db := newMemDB()
	if last, err := s.Restore(db); err != nil || last != 0 {
		t.Fatalf("empty restore: %d, %v", last, err)
	}
	if err := s.SaveSnapshot(0, db.write()); err != nil {
		t.Fatal(err)
	}
	return s
}

func names(t testing.TB, dir, prefix string) []string {
	t.Helper()
	fs, err := listFiles(dir, prefix, true)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range fs {
		out = append(out, f.name)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	o := Options{DataDir: t.TempDir()}
	s := freshDB(t, o)
	appendRange(t, s, 1, 500)
	s.Append(501, createEntry(501, "/last", nil))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := names(t, s.LogDir(), "log"); !slices.Equal(got, []string{"log.1"}) {
		t.Fatalf("logs %v", got)
	}
	db, last, err := restore(t, o)
	if err != nil || last != 501 {
		t.Fatalf("restore: %x, %v", last, err)
	}
	if len(db.applied) != 501 || db.applied[0] != 1 || string(db.nodes[nodePath(77)]) != "77" || db.nodes["/last"] != nil {
		t.Fatalf("applied %d txns, /n4d=%q", len(db.applied), db.nodes[nodePath(77)])
	}
	if _, ok := db.nodes["/last"]; !ok {
		t.Fatal("/last missing")
	}
	// Restore refuses to run after Append.
	s2 := open(t, o)
	s2.Append(600, createEntry(600, "/x", nil))
	if _, err := s2.Restore(newMemDB()); err == nil {
		t.Fatal("Restore after Append")
	}
}

func TestEmptyDir(t *testing.T) {
	db, last, err := restore(t, Options{DataDir: t.TempDir()})
	if err != nil || last != 0 || len(db.loads) != 0 {
		t.Fatalf("%d %v %v", last, err, db.loads)
	}
}

// TestDurableAfterFsync checks that Durable never carries a zxid whose entry was not in the
// file when an fsync returned, and that batches form under load.
func TestDurableAfterFsync(t *testing.T) {
	var synced atomic.Int64 // highest zxid fully in the file at the end of an fsync
	orig := syncLog
	t.Cleanup(func() { syncLog = orig })
	syncLog = func(f *os.File) error {
		if err := orig(f); err != nil {
			return err
		}
		time.Sleep(200 * time.Microsecond) // a slow disk makes batches
		b, err := os.ReadFile(f.Name())
		if err != nil {
			return err
		}
		r, err := wire.NewTxnLogReader(bytes.NewReader(b), f.Name())
		if err != nil {
			return err
		}
		for {
			e, err := r.Next()
			if err != nil {
				break
			}
			synced.Store(max(synced.Load(), e.Header.Zxid))
		}
		return nil
	}
	s := freshDB(t, Options{DataDir: t.TempDir()})
	const n = 3000
	errc := make(chan error, 1)
	go func() {
		prev := int64(0)
		for z := range s.Durable() {
			if z > synced.Load() {
				errc <- fmt.Errorf("durable %d reported, but only %d was in the file at the last fsync", z, synced.Load())
				return
			}
			if z <= prev {
				errc <- fmt.Errorf("durable went from %d to %d", prev, z)
				return
			}
			prev = z
			if z == n {
				errc <- nil
				return
			}
		}
	}()
	for z := int64(1); z <= n; z++ {
		s.Append(z, createEntry(z, nodePath(z), make([]byte, 100)))
	}
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("zxid 3000 never reported durable")
	}
	st := s.Stats()
	if st.Appends != n || st.Fsyncs == 0 || st.Batches >= n || st.BatchMax < 2 || st.AvgFsync() <= 0 {
		t.Fatalf("stats %+v", st)
	}
	t.Logf("%d batches, avg %.1f entries, max %d; fsync avg %v", st.Batches, st.AvgBatch(), st.BatchMax, st.AvgFsync())
}

func TestNoForceSync(t *testing.T) {
	s := freshDB(t, Options{DataDir: t.TempDir(), NoForceSync: true})
	appendRange(t, s, 1, 10)
	if st := s.Stats(); st.Fsyncs != 0 || st.Appends != 10 {
		t.Fatalf("stats %+v", st)
	}
	select {
	case z := <-s.Durable():
		if z != 10 {
			t.Fatalf("durable %d", z)
		}
	default:
		t.Fatal("nothing on Durable")
	}
}

func TestLogRollAndSnapshot(t *testing.T) {
	o := Options{DataDir: t.TempDir(), DataLogDir: t.TempDir()}
	s := freshDB(t, o)
	appendRange(t, s, 1, 10)
	if err := s.RollLog(); err != nil {
		t.Fatal(err)
	}
	appendRange(t, s, 11, 20)
	// A snapshot at 20 rolls the log: the next append starts log.15 (hex of 21).
	db := newMemDB()
	for z := int64(1); z <= 20; z++ {
		db.nodes[nodePath(z)] = []byte(fmt.Sprint(z))
	}
	if err := s.TakeSnapshot(20, db.write()); err != nil {
		t.Fatal(err)
	}
	appendRange(t, s, 21, 25)
	res := <-s.SnapshotDone()
	if res.Err != nil || filepath.Base(res.Path) != "snapshot.14" || res.Size == 0 {
		t.Fatalf("snapshot %+v", res)
	}
	if got := names(t, s.LogDir(), "log"); !slices.Equal(got, []string{"log.1", "log.b", "log.15"}) {
		t.Fatalf("logs %v", got)
	}
	if got := names(t, s.SnapDir(), "snapshot"); !slices.Equal(got, []string{"snapshot.0", "snapshot.14"}) {
		t.Fatalf("snapshots %v", got)
	}
	if st := s.Stats(); st.LogRolls != 2 || st.Snapshots != 2 {
		t.Fatalf("stats %+v", st)
	}
	s.Close()
	got, last, err := restore(t, o)
	if err != nil || last != 25 || !slices.Equal(got.loads, []int64{20}) || len(got.applied) != 5 || string(got.nodes[nodePath(25)]) != "25" {
		t.Fatalf("restore %x %v loads %v applied %v", last, err, got.loads, got.applied)
	}
}

func TestSnapshotBusyAndDue(t *testing.T) {
	o := Options{DataDir: t.TempDir(), SnapCount: 10, Rand: func(int64) int64 { return 0 }}
	s := freshDB(t, o)
	appendRange(t, s, 1, 5)
	select {
	case <-s.SnapshotDue():
		t.Fatal("snapshot due after 5 txns with snapCount 10")
	default:
	}
	appendRange(t, s, 6, 6) // 6 > 10/2 + 0
	select {
	case <-s.SnapshotDue():
	case <-time.After(5 * time.Second):
		t.Fatal("no snapshot signal after 6 txns")
	}
	release := make(chan struct{})
	slow := func(w *wire.SnapshotWriter) error { <-release; return newMemDB().write()(w) }
	if err := s.TakeSnapshot(6, slow); err != nil {
		t.Fatal(err)
	}
	if err := s.TakeSnapshot(6, slow); !errors.Is(err, ErrSnapshotBusy) {
		t.Fatalf("second snapshot: %v", err)
	}
	appendRange(t, s, 7, 8) // appends go on while the snapshot is written
	close(release)
	if res := <-s.SnapshotDone(); res.Err != nil {
		t.Fatal(res.Err)
	}
	// A write function that fails leaves no file behind.
	if err := s.TakeSnapshot(8, func(*wire.SnapshotWriter) error { return errors.New("boom") }); err != nil {
		t.Fatal(err)
	}
	if res := <-s.SnapshotDone(); res.Err == nil || !strings.Contains(res.Err.Error(), "boom") {
		t.Fatalf("failed snapshot: %+v", res)
	}
	ents, _ := os.ReadDir(s.SnapDir())
	for _, e := range ents {
		if strings.Contains(e.Name(), "tmp") || e.Name() == "snapshot.8" {
			t.Fatalf("left %s", e.Name())
		}
	}
}

func TestSnapshotCompressed(t *testing.T) {
	for _, c := range []wire.Compression{wire.CompressGzip, wire.CompressSnappy} {
		o := Options{DataDir: t.TempDir(), SnapshotCompression: c}
		s := freshDB(t, o)
		appendRange(t, s, 1, 30)
		db := newMemDB()
		for z := int64(1); z <= 20; z++ {
			db.nodes[nodePath(z)] = []byte(fmt.Sprint(z))
		}
		if err := s.SaveSnapshot(20, db.write()); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if _, err := os.Stat(filepath.Join(s.SnapDir(), "snapshot.14"+c.Ext())); err != nil {
			t.Fatal(err)
		}
		got, last, err := restore(t, o)
		if err != nil || last != 30 || !slices.Equal(got.loads, []int64{20}) || string(got.nodes[nodePath(30)]) != "30" {
			t.Fatalf("%s: restore %x %v %v", c, last, err, got.loads)
		}
	}
}

func TestTornTailTruncated(t *testing.T) {
	o := Options{DataDir: t.TempDir()}
	s := freshDB(t, o)
	appendRange(t, s, 1, 20)
	s.Close()
	path := filepath.Join(s.LogDir(), "log.1")
	// The end of the good entries, then a torn entry: a header and half a payload, followed by
	// the zeros of preallocation.
	_, end, err := lastEntry(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	torn := wire.AppendLogEntry(nil, createEntry(21, "/torn", []byte("torn")))
	if _, err := f.WriteAt(torn[:len(torn)/2], end); err != nil {
		t.Fatal(err)
	}
	f.Close()
	db, last, err := restore(t, o)
	if err != nil || last != 20 || len(db.applied) != 20 {
		t.Fatalf("restore %x %v", last, err)
	}
	if fi, _ := os.Stat(path); fi.Size() != end {
		t.Fatalf("log.1 is %d bytes, want it cut at %d", fi.Size(), end)
	}
	// The server goes on: the next txn starts a new file.
	s = open(t, o)
	if _, err := s.Restore(newMemDB()); err != nil {
		t.Fatal(err)
	}
	appendRange(t, s, 21, 22)
	s.Close()
	if _, last, err := restore(t, o); err != nil || last != 22 {
		t.Fatalf("restore after restart %x %v", last, err)
	}
}

// lastEntry returns the last entry's zxid and the end of the good entries.
func lastEntry(path string) (int64, int64, error) {
	var z int64
	end, err := scanLog(dataFile{path: path}, wire.DefaultMaxLogEntry, func(e *wire.LogEntry) error { z = e.Header.Zxid; return nil })
	return z, end, err
}

func TestMidLogCorruption(t *testing.T) {
	o := Options{DataDir: t.TempDir()}
	s := freshDB(t, o)
	appendRange(t, s, 1, 20)
	s.Close()
	path := filepath.Join(s.LogDir(), "log.1")
	b, _ := os.ReadFile(path)
	// Corrupt the payload of the 5th entry.
	var fifth int64
	n := 0
	scanLog(dataFile{path: path}, wire.DefaultMaxLogEntry, func(e *wire.LogEntry) error {
		if n == 4 {
			fifth = e.Offset
		}
		n++
		return nil
	})
	b[fifth+20] ^= 0x40
	os.WriteFile(path, b, 0o644)
	_, _, err := restore(t, o)
	want := fmt.Sprintf("%s: offset %d: checksum mismatch", path, fifth)
	if err == nil || !strings.Contains(err.Error(), want) || errors.Is(err, wire.ErrTornTail) {
		t.Fatalf("got %v, want an error containing %q", err, want)
	}
}

func TestGapsStopStartup(t *testing.T) {
	o := Options{DataDir: t.TempDir()}
	s := freshDB(t, o)
	appendRange(t, s, 1, 10)
	s.RollLog()
	appendRange(t, s, 11, 20)
	s.RollLog()
	appendRange(t, s, 21, 30)
	s.Close()
	// A missing middle segment.
	mid := filepath.Join(s.LogDir(), "log.b")
	b, _ := os.ReadFile(mid)
	os.Remove(mid)
	_, _, err := restore(t, o)
	if err == nil || !strings.Contains(err.Error(), "log.15: offset 16: zxid 0x15 does not follow 0xa") {
		t.Fatalf("missing segment: %v", err)
	}
	os.WriteFile(mid, b, 0o644)
	// A missing segment right after the snapshot.
	os.Rename(filepath.Join(s.LogDir(), "log.1"), filepath.Join(t.TempDir(), "log.1"))
	_, _, err = restore(t, o)
	if err == nil || !strings.Contains(err.Error(), "log.b: offset 16: zxid 0xb does not follow 0x0 (snapshot.0)") {
		t.Fatalf("missing first segment: %v", err)
	}
	// A new epoch may start anywhere.
	if !follows(0x100000005, 0x200000001) || follows(0x100000005, 0x100000007) || !follows(0x100000005, 0x100000006) {
		t.Fatal("follows")
	}
}

func TestLogsWithoutSnapshot(t *testing.T) {
	o := Options{DataDir: t.TempDir()}
	s := open(t, o)
	if _, err := s.Restore(newMemDB()); err != nil {
		t.Fatal(err)
	}
	appendRange(t, s, 1, 5)
	s.Close()
	if _, _, err := restore(t, o); err == nil || !strings.Contains(err.Error(), "no snapshot") {
		t.Fatalf("logs without snapshot: %v", err)
	}
	o.TrustEmpty = true
	if db, last, err := restore(t, o); err != nil || last != 5 || len(db.applied) != 5 {
		t.Fatalf("trust empty: %x %v", last, err)
	}
}

func TestCorruptSnapshotFallsBack(t *testing.T) {
	o := Options{DataDir: t.TempDir()}
	s := freshDB(t, o)
	appendRange(t, s, 1, 10)
	db := newMemDB()
	for z := int64(1); z <= 10; z++ {
		db.nodes[nodePath(z)] = []byte(fmt.Sprint(z))
	}
	if err := s.SaveSnapshot(10, db.write()); err != nil {
		t.Fatal(err)
	}
	appendRange(t, s, 11, 20)
	for z := int64(11); z <= 20; z++ {
		db.nodes[nodePath(z)] = []byte(fmt.Sprint(z))
	}
	if err := s.SaveSnapshot(20, db.write()); err != nil {
		t.Fatal(err)
	}
	appendRange(t, s, 21, 25)
	s.Close()
	// Corrupt a node's data in the newest snapshot: its tail stays valid, the seal fails.
	newest := filepath.Join(s.SnapDir(), "snapshot.14")
	b, _ := os.ReadFile(newest)
	i := bytes.Index(b, []byte("/n13"))
	b[i+3] = '4'
	os.WriteFile(newest, b, 0o644)
	got, last, err := restore(t, o)
	if err != nil || last != 25 {
		t.Fatalf("restore %x %v", last, err)
	}
	if !slices.Equal(got.loads, []int64{20, 10}) || got.snapZxid != 10 || len(got.applied) != 15 || string(got.nodes[nodePath(0x13)]) != "19" {
		t.Fatalf("loads %v, applied %d", got.loads, len(got.applied))
	}
	// A truncated snapshot is skipped by the cheap validity check.
	os.WriteFile(newest, b[:len(b)/2], 0o644)
	if got, _, err := restore(t, o); err != nil || !slices.Equal(got.loads, []int64{10}) {
		t.Fatalf("truncated newest: %v %v", got.loads, err)
	}
	// When every snapshot is corrupt, start-up stops.
	for _, n := range []string{"snapshot.0", "snapshot.a"} {
		p := filepath.Join(s.SnapDir(), n)
		b, _ := os.ReadFile(p)
		b[20] ^= 1
		os.WriteFile(p, b, 0o644)
	}
	if _, _, err := restore(t, o); err == nil || !strings.Contains(err.Error(), "no readable snapshot") {
		t.Fatalf("all corrupt: %v", err)
	}
}

func TestPurge(t *testing.T) {
	o := Options{DataDir: t.TempDir(), DataLogDir: t.TempDir(), SnapRetainCount: 3}
	s := freshDB(t, o) // snapshot.0
	db := newMemDB()
	for i := int64(0); i < 5; i++ {
		appendRange(t, s, i*10+1, i*10+10)
		if err := s.SaveSnapshot(i*10+5, db.write()); err != nil { // fuzzy: the log rolls after +10
			t.Fatal(err)
		}
	}
	appendRange(t, s, 51, 55)
	// snapshots 0, 5, f, 19, 23, 2d; logs 1, b, 15, 1f, 29, 33
	if err := s.Purge(); err != nil {
		t.Fatal(err)
	}
	if got := names(t, s.SnapDir(), "snapshot"); !slices.Equal(got, []string{"snapshot.19", "snapshot.23", "snapshot.2d"}) {
		t.Fatalf("snapshots %v", got)
	}
	// snapshot.19 (25) needs log.15 (21..30) and later
	if got := names(t, s.LogDir(), "log"); !slices.Equal(got, []string{"log.15", "log.1f", "log.29", "log.33"}) {
		t.Fatalf("logs %v", got)
	}
	s.Close()
	if _, last, err := restore(t, o); err != nil || last != 55 {
		t.Fatalf("restore after purge %x %v", last, err)
	}
}

func TestAutopurgeAfterSnapshot(t *testing.T) {
	o := Options{DataDir: t.TempDir(), PurgeInterval: 1}
	s := freshDB(t, o)
	db := newMemDB()
	for i := int64(1); i <= 4; i++ {
		appendRange(t, s, i*10-9, i*10)
		if err := s.TakeSnapshot(i*10, db.write()); err != nil {
			t.Fatal(err)
		}
		if res := <-s.SnapshotDone(); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	s.Close() // waits for the purge that follows the last snapshot
	if got := names(t, s.SnapDir(), "snapshot"); !slices.Equal(got, []string{"snapshot.14", "snapshot.1e", "snapshot.28"}) {
		t.Fatalf("snapshots %v", got)
	}
}

func TestPreallocation(t *testing.T) {
	const pre = 64 << 10
	s := freshDB(t, Options{DataDir: t.TempDir(), PreAllocSize: pre})
	path := filepath.Join(s.LogDir(), "log.1")
	appendRange(t, s, 1, 1)
	if fi, _ := os.Stat(path); fi.Size() != 16+pre {
		t.Fatalf("after one entry: %d bytes, want %d", fi.Size(), 16+pre)
	}
	// Write until the position comes within 4 KiB of the end: the file grows by pre.
	// The check comes before each write, as in Java.
	big := make([]byte, 20<<10)
	for z := int64(2); z <= 4; z++ {
		s.Append(z, createEntry(z, nodePath(z), big))
	}
	s.Sync()
	fi, _ := os.Stat(path)
	if _, end, _ := lastEntry(path); fi.Size() != 16+pre || end+4096 < fi.Size() {
		t.Fatalf("after 60 KiB: %d bytes, want %d (end of data %d)", fi.Size(), 16+pre, end)
	}
	appendRange(t, s, 5, 5)
	if fi, _ := os.Stat(path); fi.Size() != 16+2*pre {
		t.Fatalf("after 60 KiB: %d bytes, want %d", fi.Size(), 16+2*pre)
	}
	// An entry larger than the step: the size becomes the next multiple past the position.
	s.Append(6, createEntry(6, nodePath(6), make([]byte, 3*pre)))
	s.Append(7, createEntry(7, nodePath(7), nil))
	s.Sync()
	_, end, err := lastEntry(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ = os.Stat(path)
	if fi.Size()%pre != 0 || fi.Size() < end {
		t.Fatalf("after a large entry: %d bytes (end of data %d)", fi.Size(), end)
	}
	if paddedSize(100, 16+pre, pre) != 16+pre || paddedSize(pre-4000, 16+pre, pre) != 16+2*pre || paddedSize(3*pre+5, 2*pre, pre) != 4*pre {
		t.Fatal("paddedSize differs from FilePadding.calculateFileSizeWithPadding")
	}
	// The default is 64 MiB, as Java's: log files are 64 MiB + 16 bytes.
	s2, err := Open(Options{DataDir: t.TempDir(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	s2.Restore(newMemDB())
	appendRange(t, s2, 1, 1)
	if fi, _ := os.Stat(filepath.Join(s2.LogDir(), "log.1")); fi.Size() != 16+64<<20 {
		t.Fatalf("default preallocation: %d", fi.Size())
	}
}

func TestTxnLogSizeLimit(t *testing.T) {
	s := freshDB(t, Options{DataDir: t.TempDir(), TxnLogSizeLimitKB: 4})
	for z := int64(1); z <= 20; z++ {
		s.Append(z, createEntry(z, nodePath(z), make([]byte, 1000)))
		s.Sync()
	}
	if got := names(t, s.LogDir(), "log"); len(got) < 4 {
		t.Fatalf("logs %v", got)
	}
}

func TestTruncateAndReadLog(t *testing.T) {
	o := Options{DataDir: t.TempDir()}
	s := freshDB(t, o)
	appendRange(t, s, 1, 10)
	s.RollLog()
	appendRange(t, s, 11, 20)
	s.RollLog()
	appendRange(t, s, 21, 30)
	var got []int64
	if err := s.ReadLog(15, func(h *records.TxnHeader, raw []byte) error {
		if _, err := wire.DecodeTxn(raw); err != nil {
			return err
		}
		got = append(got, h.Zxid)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 16 || got[0] != 15 || got[15] != 30 {
		t.Fatalf("ReadLog(15): %v", got)
	}
	stop := errors.New("enough")
	if err := s.ReadLog(1, func(h *records.TxnHeader, _ []byte) error { return stop }); err != stop {
		t.Fatalf("ReadLog stop: %v", err)
	}
	if err := s.Truncate(15); err != nil {
		t.Fatal(err)
	}
	if got := names(t, s.LogDir(), "log"); !slices.Equal(got, []string{"log.1", "log.b"}) {
		t.Fatalf("logs after truncate %v", got)
	}
	if s.LastDurable() != 15 {
		t.Fatalf("LastDurable %d", s.LastDurable())
	}
	// Appending goes on from 16 in a new file.
	appendRange(t, s, 16, 17)
	// Truncating at the first entry of a file removes the rest of it; before every entry
	// removes the files.
	if err := s.Truncate(11); err != nil {
		t.Fatal(err)
	}
	if z, _, _ := lastEntry(filepath.Join(s.LogDir(), "log.b")); z != 11 {
		t.Fatalf("log.b ends at %d", z)
	}
	s.Close()
	if db, last, err := restore(t, o); err != nil || last != 11 || len(db.applied) != 11 {
		t.Fatalf("restore after truncate %x %v", last, err)
	}
	s = open(t, o)
	if _, err := s.Restore(newMemDB()); err != nil {
		t.Fatal(err)
	}
	if err := s.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if got := names(t, s.LogDir(), "log"); len(got) != 0 {
		t.Fatalf("logs after truncate(0) %v", got)
	}
}

func TestEpochs(t *testing.T) {
	s := open(t, Options{DataDir: t.TempDir()})
	if _, err := s.CurrentEpoch(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing currentEpoch: %v", err)
	}
	if err := s.SetAcceptedEpoch(3); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCurrentEpoch(2); err != nil {
		t.Fatal(err)
	}
	a, err1 := s.AcceptedEpoch()
	c, err2 := s.CurrentEpoch()
	if a != 3 || c != 2 || err1 != nil || err2 != nil {
		t.Fatalf("epochs %d %d %v %v", a, c, err1, err2)
	}
	if b, _ := os.ReadFile(filepath.Join(s.SnapDir(), "currentEpoch")); string(b) != "2" {
		t.Fatalf("currentEpoch holds %q", b)
	}
}

func TestFailedWriterDropsAppends(t *testing.T) {
	orig := syncLog
	t.Cleanup(func() { syncLog = orig })
	syncLog = func(*os.File) error { return errors.New("disk on fire") }
	s := freshDB(t, Options{DataDir: t.TempDir()})
	s.Append(1, createEntry(1, "/a", nil))
	select {
	case <-s.Failed():
	case <-time.After(5 * time.Second):
		t.Fatal("not failed")
	}
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Err %v", err)
	}
	s.Append(2, createEntry(2, "/b", nil)) // dropped, does not block
	if err := s.Sync(); err == nil {
		t.Fatal("Sync after failure")
	}
	select {
	case z := <-s.Durable():
		t.Fatalf("durable %d after a failed fsync", z)
	default:
	}
}

// TestEmptyLastLogRemoved: a crash right after a log file got its header leaves a file named
// for the next zxid; Restore removes it so that the next append can create it again.
func TestEmptyLastLogRemoved(t *testing.T) {
	o := Options{DataDir: t.TempDir()}
	s := freshDB(t, o)
	appendRange(t, s, 1, 5)
	s.Close()
	for _, content := range [][]byte{wire.AppendTxnLogHeader(make([]byte, 0, 4096))[:4096], {}} {
		path := filepath.Join(s.LogDir(), "log.6")
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		s2 := open(t, o)
		if last, err := s2.Restore(newMemDB()); err != nil || last != 5 {
			t.Fatalf("restore %x %v", last, err)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("log.6 of %d bytes kept: %v", len(content), err)
		}
		appendRange(t, s2, 6, 6)
		s2.Close()
		os.Remove(path)
	}
}
