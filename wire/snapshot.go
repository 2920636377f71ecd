package wire

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/adler32"
	"io"
	"strconv"
	"strings"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
)

// Snapshot file (`version-2/snapshot.<hex zxid>[.gz|.snappy]`, P/FileSnap.java,
// P/SnapStream.java, S/util/SerializeUtils.java, S/DataTree.java):
//
//	FileHeader    int magic 0x5A4B534E ("ZKSN"), int version 2, long dbid -1
//	sessions      int count, then (long sessionId, int timeoutMs)*
//	ACL cache     int count, then (long index, vector<ACL>)*; the vector is never null
//	nodes         (ustring path, buffer data, long aclIndex, StatPersisted)* in pre-order,
//	              the root first with path ""; aclIndex -1 is world:anyone ALL
//	end marker    ustring "/"
//	seal #1       long Adler-32 of every byte so far, ustring "/"
//	digest        3.6+: long zxid, int digestVersion (2), long digest, then seal #2;
//	              digestVersion < 2 stored the digest as a hex ustring
//	lastZxid      3.9+: long lastProcessedZxid, then seal #3
//
// Seals are cumulative: each checksum covers every byte before it, earlier seals included. With
// .gz (gzip) or .snappy (snappy-java's stream framing, snapshot_snappy.go) the stream is
// compressed and the checksums cover the uncompressed bytes. Readers stop after the parts they
// know, so trailers are optional.
//
// The SNAP stream of quorum sync (after a SNAP packet, ZKDatabase.serializeSnapshot) is the
// same sessions, ACL cache and nodes with the "/" end marker, but without FileHeader, seals or
// trailers; it ends with the ustring "BenWasHere".

// SnapStreamSignature ends the quorum SNAP stream.
const SnapStreamSignature = "BenWasHere"

// SnapSession is one session of a snapshot.
type SnapSession struct {
	ID      int64
	Timeout int32 // ms
}

// ACLEntry is one entry of the snapshot's ACL cache: the index nodes refer to and its list.
type ACLEntry struct {
	Index int64
	ACL   []records.ACL
}

// SnapNode is one znode of a snapshot. The root's path is "".
type SnapNode struct {
	Path string
	Data []byte // nil for a node whose data is null
	ACL  int64  // ACL cache index; -1 = world:anyone ALL
	Stat records.StatPersisted
}

// ZxidDigest is the digest trailer: the tree digest at Zxid.
type ZxidDigest struct {
	Zxid    int64
	Version int32
	Digest  int64
}

// SnapshotTrailer holds the optional parts after seal #1; nil means absent.
type SnapshotTrailer struct {
	Digest   *ZxidDigest // 3.6+
	LastZxid *int64      // 3.9+
}

// Compression of a snapshot file, chosen by the file name's extension as in
// SnapStream.getStreamMode.
type Compression string

// Snapshot compressions (zookeeper.snapshot.compression.method).
const (
	CompressNone   Compression = ""
	CompressGzip   Compression = "gz"
	CompressSnappy Compression = "snappy"
)

// CompressionOf returns the compression a snapshot file name implies: its last dot-separated
// part, "gz" or "snappy" (any case); anything else is plain.
func CompressionOf(name string) Compression {
	parts := strings.Split(name, ".")
	if len(parts) > 1 {
		switch ext := strings.ToLower(parts[len(parts)-1]); ext {
		case "gz":
			return CompressGzip
		case "snappy":
			return CompressSnappy
		}
	}
	return CompressNone
}

// Ext is the file-name extension of c ("", ".gz" or ".snappy").
func (c Compression) Ext() string {
	if c == CompressNone {
		return ""
	}
	return "." + string(c)
}

// snapshot reader/writer states, in order.
const (
	stHeader = iota
	stSessions
	stACLs
	stNodes
	stTrailer
	stDone
)

var stateNames = [...]string{"header", "sessions", "ACL cache", "nodes", "trailer", "end"}

// SnapshotWriter streams a snapshot: Header, Sessions, ACLs, Node for each node in pre-order,
// then Finish. It never holds the tree; the caller feeds it.
type SnapshotWriter struct {
	w      io.Writer
	bw     *bufio.Writer // flushed by Finish
	closer io.Closer     // compressor, closed by Finish
	buf    []byte        // encoded bytes not yet checksummed and written
	sum    hash.Hash32
	n      int64
	stream bool
	state  int
	err    error
}

const snapBufSize = 64 << 10

// NewSnapshotWriter returns a writer of a snapshot file to w, compressed as c. Finish flushes
// and closes the compressor, but neither syncs nor closes w.
func NewSnapshotWriter(w io.Writer, c Compression) (*SnapshotWriter, error) {
	sw := &SnapshotWriter{sum: adler32.New(), buf: make([]byte, 0, snapBufSize)}
	switch c {
	case CompressNone:
		sw.w = w
	case CompressGzip:
		gz := gzip.NewWriter(w)
		sw.w, sw.closer = gz, gz
	case CompressSnappy:
		sz := newXerialWriter(w)
		sw.w, sw.closer = sz, sz
	default:
		return nil, fmt.Errorf("wire: unknown snapshot compression %q", c)
	}
	if bw, ok := w.(*bufio.Writer); ok {
		sw.bw = bw
	}
	return sw, nil
}

// NewSnapStreamWriter returns a writer of the quorum SNAP stream to w: no header, no seals,
// the "BenWasHere" signature at the end. If w is a *bufio.Writer, Finish flushes it.
func NewSnapStreamWriter(w io.Writer) *SnapshotWriter {
	sw := &SnapshotWriter{w: w, buf: make([]byte, 0, snapBufSize), stream: true, state: stSessions}
	if bw, ok := w.(*bufio.Writer); ok {
		sw.bw = bw
	}
	return sw
}

// Written is the number of (uncompressed) bytes written so far, buffered ones included.
func (w *SnapshotWriter) Written() int64 { return w.n + int64(len(w.buf)) }

func (w *SnapshotWriter) step(want int, what string) error {
	if w.err != nil {
		return w.err
	}
	if w.state != want {
		return fmt.Errorf("wire: SnapshotWriter.%s called at the %s stage", what, stateNames[w.state])
	}
	return nil
}

// flush checksums and writes the buffered bytes.
func (w *SnapshotWriter) flush() error {
	if len(w.buf) == 0 {
		return w.err
	}
	if w.sum != nil {
		w.sum.Write(w.buf)
	}
	if _, err := w.w.Write(w.buf); err != nil {
		w.err = fmt.Errorf("wire: writing snapshot at offset %d: %w", w.n, err)
		return w.err
	}
	w.n += int64(len(w.buf))
	w.buf = w.buf[:0]
	return nil
}

func (w *SnapshotWriter) maybeFlush() error {
	if len(w.buf) >= snapBufSize {
		return w.flush()
	}
	return nil
}

// Header writes the FileHeader{ZKSN, 2, -1}. Sessions writes it when it was not written.
func (w *SnapshotWriter) Header() error {
	if err := w.step(stHeader, "Header"); err != nil {
		return err
	}
	h := records.FileHeader{Magic: SnapshotMagic, Version: FileVersion, DBID: -1}
	w.buf = h.Append(w.buf)
	w.state = stSessions
	return nil
}

// Sessions writes the session table.
func (w *SnapshotWriter) Sessions(s []SnapSession) error {
	if w.state == stHeader && !w.stream {
		if err := w.Header(); err != nil {
			return err
		}
	}
	if err := w.step(stSessions, "Sessions"); err != nil {
		return err
	}
	w.buf = jute.AppendInt(w.buf, int32(len(s)))
	for _, e := range s {
		w.buf = jute.AppendLong(w.buf, e.ID)
		w.buf = jute.AppendInt(w.buf, e.Timeout)
		if err := w.maybeFlush(); err != nil {
			return err
		}
	}
	w.state = stACLs
	return nil
}

// ACLs writes the ACL cache. A nil list is written as an empty vector (Java's reader rejects
// a null one).
func (w *SnapshotWriter) ACLs(acls []ACLEntry) error {
	if err := w.step(stACLs, "ACLs"); err != nil {
		return err
	}
	w.buf = jute.AppendInt(w.buf, int32(len(acls)))
	for i := range acls {
		w.buf = jute.AppendLong(w.buf, acls[i].Index)
		w.buf = jute.AppendInt(w.buf, int32(len(acls[i].ACL)))
		for j := range acls[i].ACL {
			w.buf = acls[i].ACL[j].Append(w.buf)
		}
		if err := w.maybeFlush(); err != nil {
			return err
		}
	}
	w.state = stNodes
	return nil
}

// Node writes one node. Nodes must come in pre-order (a parent before its children), the root
// (path "") first.
func (w *SnapshotWriter) Node(n *SnapNode) error {
	if err := w.step(stNodes, "Node"); err != nil {
		return err
	}
	if n.Path == "/" {
		return errors.New(`wire: snapshot node path "/" is the end marker; the root's path is ""`)
	}
	w.buf = jute.AppendString(w.buf, n.Path)
	w.buf = jute.AppendBuffer(w.buf, n.Data)
	w.buf = jute.AppendLong(w.buf, n.ACL)
	w.buf = n.Stat.Append(w.buf)
	return w.maybeFlush()
}

// seal appends the cumulative checksum and "/".
func (w *SnapshotWriter) seal() error {
	if err := w.flush(); err != nil {
		return err
	}
	w.buf = jute.AppendLong(w.buf, int64(w.sum.Sum32()))
	w.buf = jute.AppendString(w.buf, "/")
	return nil
}

// Finish writes the "/" end marker, then for a file seal #1 and the trailers t holds (each
// followed by its seal), or for a SNAP stream the signature. It flushes everything, closes the
// compressor and flushes w if it is a *bufio.Writer.
func (w *SnapshotWriter) Finish(t SnapshotTrailer) error {
	if err := w.step(stNodes, "Finish"); err != nil {
		return err
	}
	w.buf = jute.AppendString(w.buf, "/")
	if w.stream {
		if t.Digest != nil || t.LastZxid != nil {
			return errors.New("wire: a SNAP stream has no trailers")
		}
		w.buf = jute.AppendString(w.buf, SnapStreamSignature)
	} else {
		if err := w.seal(); err != nil {
			return err
		}
		if d := t.Digest; d != nil {
			w.buf = jute.AppendLong(w.buf, d.Zxid)
			w.buf = jute.AppendInt(w.buf, d.Version)
			if d.Version < 2 {
				w.buf = jute.AppendString(w.buf, strconv.FormatInt(d.Digest, 16))
			} else {
				w.buf = jute.AppendLong(w.buf, d.Digest)
			}
			if err := w.seal(); err != nil {
				return err
			}
		}
		if t.LastZxid != nil {
			w.buf = jute.AppendLong(w.buf, *t.LastZxid)
			if err := w.seal(); err != nil {
				return err
			}
		}
	}
	if err := w.flush(); err != nil {
		return err
	}
	w.state = stDone
	if w.closer != nil {
		if err := w.closer.Close(); err != nil {
			w.err = fmt.Errorf("wire: finishing compressed snapshot: %w", err)
			return w.err
		}
	}
	if w.bw != nil {
		if err := w.bw.Flush(); err != nil {
			w.err = fmt.Errorf("wire: flushing snapshot: %w", err)
			return w.err
		}
	}
	return nil
}

// Finished reports whether Finish completed.
func (w *SnapshotWriter) Finished() bool { return w.state == stDone && w.err == nil }

// SnapshotReader streams a snapshot: the header is read by the constructor, then Sessions,
// ACLs, Next until io.EOF, and Finish, which checks the seals and reads the trailers. Errors
// name the file and the offset in the uncompressed stream.
type SnapshotReader struct {
	r      *bufio.Reader
	name   string
	off    int64
	sum    hash.Hash32 // nil for a SNAP stream
	stream bool
	state  int
	header records.FileHeader
	trail  SnapshotTrailer
	closer io.Closer
	// MaxBuffer bounds every buffer, string and vector length: jute.maxbuffer plus Java's
	// jute.maxbuffer.extrasize (1024), DefaultMaxLogEntry unless changed.
	MaxBuffer int
}

// NewSnapshotReader reads a snapshot file from r, decompressing as the name's extension says
// (CompressionOf), and checks its FileHeader. name is used in errors.
func NewSnapshotReader(r io.Reader, name string) (*SnapshotReader, error) {
	sr := &SnapshotReader{name: name, sum: adler32.New(), MaxBuffer: DefaultMaxLogEntry}
	switch CompressionOf(name) {
	case CompressGzip:
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("wire: snapshot %s: gzip: %w", name, err)
		}
		sr.r, sr.closer = bufio.NewReaderSize(gz, snapBufSize), gz
	case CompressSnappy:
		sz, err := newXerialReader(r)
		if err != nil {
			return nil, fmt.Errorf("wire: snapshot %s: snappy: %w", name, err)
		}
		sr.r = bufio.NewReaderSize(sz, snapBufSize)
	default:
		if br, ok := r.(*bufio.Reader); ok && br.Size() >= 4096 {
			sr.r = br
		} else {
			sr.r = bufio.NewReaderSize(r, snapBufSize)
		}
	}
	b, err := sr.take(16, "file header")
	if err != nil {
		return nil, err
	}
	if err := jute.Unmarshal(b, &sr.header); err != nil {
		return nil, err
	}
	if sr.header.Magic != SnapshotMagic {
		return nil, sr.errf(0, "bad magic 0x%08x, want 0x%08x (ZKSN)", uint32(sr.header.Magic), uint32(SnapshotMagic))
	}
	sr.state = stSessions
	return sr, nil
}

// NewSnapStreamReader reads the quorum SNAP stream from r. Pass the connection's
// *bufio.Reader: the reader then takes exactly the stream's bytes and the packets that follow
// stay in r.
func NewSnapStreamReader(r io.Reader) *SnapshotReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &SnapshotReader{r: br, name: "SNAP stream", stream: true, state: stSessions, MaxBuffer: DefaultMaxLogEntry}
}

// Header is the file's FileHeader (zero for a SNAP stream).
func (r *SnapshotReader) Header() records.FileHeader { return r.header }

// Offset is the number of (uncompressed) bytes consumed.
func (r *SnapshotReader) Offset() int64 { return r.off }

// Trailer returns the trailers read by Finish.
func (r *SnapshotReader) Trailer() SnapshotTrailer { return r.trail }

// Finished reports whether Finish completed.
func (r *SnapshotReader) Finished() bool { return r.state == stDone }

func (r *SnapshotReader) errf(off int64, format string, args ...any) error {
	return fmt.Errorf("wire: snapshot %s: offset %d: %s", r.name, off, fmt.Sprintf(format, args...))
}

// take returns the next n bytes, valid until the next read, checksummed and consumed.
func (r *SnapshotReader) take(n int, what string) ([]byte, error) {
	var b []byte
	var err error
	if n <= r.r.Size() {
		b, err = r.r.Peek(n)
		if len(b) == n {
			_, _ = r.r.Discard(n)
			err = nil
		}
	} else {
		b = make([]byte, n)
		var got int
		got, err = io.ReadFull(r.r, b)
		b = b[:got]
	}
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF || err == bufio.ErrBufferFull {
			return nil, r.errf(r.off, "unexpected end of file reading %s (%d of %d bytes)", what, len(b), n)
		}
		return nil, r.errf(r.off, "reading %s: %v", what, err)
	}
	if r.sum != nil {
		r.sum.Write(b)
	}
	r.off += int64(n)
	return b, nil
}

func (r *SnapshotReader) int32(what string) (int32, error) {
	b, err := r.take(4, what)
	if err != nil {
		return 0, err
	}
	return int32(binary.BigEndian.Uint32(b)), nil
}

func (r *SnapshotReader) int64(what string) (int64, error) {
	b, err := r.take(8, what)
	if err != nil {
		return 0, err
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// length reads a length prefix; -1 stays -1.
func (r *SnapshotReader) length(what string) (int, error) {
	off := r.off
	n, err := r.int32(what)
	if err != nil {
		return 0, err
	}
	if n < -1 {
		return 0, r.errf(off, "%s: negative length %d", what, n)
	}
	if r.MaxBuffer > 0 && int(n) > r.MaxBuffer {
		return 0, r.errf(off, "%s: length %d exceeds jute.maxbuffer %d", what, n, r.MaxBuffer)
	}
	return int(n), nil
}

func (r *SnapshotReader) string(what string) (string, error) {
	n, err := r.length(what)
	if err != nil || n <= 0 {
		return "", err
	}
	b, err := r.take(n, what)
	return string(b), err
}

func (r *SnapshotReader) buffer(what string) ([]byte, error) {
	n, err := r.length(what)
	if err != nil || n < 0 {
		return nil, err
	}
	b, err := r.take(n, what)
	if err != nil {
		return nil, err
	}
	if n > r.r.Size() {
		return b, nil // already a fresh slice
	}
	return append(make([]byte, 0, n), b...), nil
}

// decode decodes a fixed-size record.
func (r *SnapshotReader) decode(rec jute.Record, size int, what string) error {
	off := r.off
	b, err := r.take(size, what)
	if err != nil {
		return err
	}
	if err := jute.Unmarshal(b, rec); err != nil {
		return r.errf(off, "%s: %v", what, err)
	}
	return nil
}

func (r *SnapshotReader) step(want int, what string) error {
	if r.state != want {
		return fmt.Errorf("wire: SnapshotReader.%s called at the %s stage", what, stateNames[r.state])
	}
	return nil
}

// Sessions reads the session table.
func (r *SnapshotReader) Sessions() ([]SnapSession, error) {
	if err := r.step(stSessions, "Sessions"); err != nil {
		return nil, err
	}
	off := r.off
	n, err := r.int32("session count")
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, r.errf(off, "negative session count %d", n)
	}
	s := make([]SnapSession, 0, min(int(n), 1<<16))
	for i := int32(0); i < n; i++ {
		b, err := r.take(12, "session")
		if err != nil {
			return nil, err
		}
		s = append(s, SnapSession{ID: int64(binary.BigEndian.Uint64(b)), Timeout: int32(binary.BigEndian.Uint32(b[8:]))})
	}
	r.state = stACLs
	return s, nil
}

// ACLs reads the ACL cache.
func (r *SnapshotReader) ACLs() ([]ACLEntry, error) {
	if err := r.step(stACLs, "ACLs"); err != nil {
		return nil, err
	}
	off := r.off
	n, err := r.int32("ACL cache size")
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, r.errf(off, "negative ACL cache size %d", n)
	}
	acls := make([]ACLEntry, 0, min(int(n), 1<<12))
	for i := int32(0); i < n; i++ {
		var e ACLEntry
		if e.Index, err = r.int64("ACL index"); err != nil {
			return nil, err
		}
		off := r.off
		m, err := r.length("ACL list")
		if err != nil {
			return nil, err
		}
		if m < 0 {
			return nil, r.errf(off, "ACL list of index %d is null", e.Index)
		}
		e.ACL = make([]records.ACL, 0, min(m, 64))
		for range m {
			var a records.ACL
			if a.Perms, err = r.int32("ACL perms"); err != nil {
				return nil, err
			}
			if a.ID.Scheme, err = r.string("ACL scheme"); err != nil {
				return nil, err
			}
			if a.ID.ID, err = r.string("ACL id"); err != nil {
				return nil, err
			}
			e.ACL = append(e.ACL, a)
		}
		acls = append(acls, e)
	}
	r.state = stNodes
	return acls, nil
}

// Next reads the next node; io.EOF after the "/" end marker (and on every later call).
func (r *SnapshotReader) Next() (SnapNode, error) {
	var n SnapNode
	if r.state > stNodes {
		return n, io.EOF
	}
	if err := r.step(stNodes, "Next"); err != nil {
		return n, err
	}
	var err error
	if n.Path, err = r.string("node path"); err != nil {
		return n, err
	}
	if n.Path == "/" {
		r.state = stTrailer
		return SnapNode{}, io.EOF
	}
	if n.Data, err = r.buffer("node data"); err != nil {
		return n, err
	}
	if n.ACL, err = r.int64("node ACL index"); err != nil {
		return n, err
	}
	if err = r.decode(&n.Stat, 60, "node stat"); err != nil {
		return n, err
	}
	return n, nil
}

// checkSeal reads a seal and compares it with the checksum of everything before it.
func (r *SnapshotReader) checkSeal(which string) error {
	want := int64(r.sum.Sum32())
	off := r.off
	got, err := r.int64(which)
	if err != nil {
		return err
	}
	if _, err := r.string(which + " marker"); err != nil {
		return err
	}
	if got != want {
		return r.errf(off, "%s: checksum mismatch: stored 0x%x, computed 0x%x", which, got, want)
	}
	return nil
}

// Finish reads what follows the nodes (Next must have returned io.EOF): for a file, seal #1
// and the optional digest and lastZxid trailers with their seals; for a SNAP stream, the
// "BenWasHere" signature. It closes the decompressor.
func (r *SnapshotReader) Finish() (SnapshotTrailer, error) {
	if err := r.step(stTrailer, "Finish"); err != nil {
		return r.trail, err
	}
	if r.stream {
		off := r.off
		sig, err := r.string("signature")
		if err != nil {
			return r.trail, err
		}
		if sig != SnapStreamSignature {
			return r.trail, r.errf(off, "signature %q, want %q", sig, SnapStreamSignature)
		}
		r.state = stDone
		return r.trail, nil
	}
	if err := r.checkSeal("seal #1"); err != nil {
		return r.trail, err
	}
	// What follows is small: peek at all of it to tell a lastZxid-only trailer (21 bytes: a
	// 3.9 server with digests disabled) from a digest trailer, as Java cannot.
	rest, _ := r.r.Peek(128)
	if len(rest) == 21 {
		if err := r.lastZxid(); err != nil {
			return r.trail, err
		}
	} else if len(rest) > 0 {
		d := new(ZxidDigest)
		var err error
		if d.Zxid, err = r.int64("digest zxid"); err != nil {
			return r.trail, err
		}
		if d.Version, err = r.int32("digest version"); err != nil {
			return r.trail, err
		}
		if d.Version < 2 {
			off := r.off
			s, err := r.string("digest")
			if err != nil {
				return r.trail, err
			}
			if d.Digest, err = strconv.ParseInt(s, 16, 64); err != nil {
				return r.trail, r.errf(off, "digest %q is not hex", s)
			}
		} else if d.Digest, err = r.int64("digest"); err != nil {
			return r.trail, err
		}
		if err := r.checkSeal("seal #2"); err != nil {
			return r.trail, err
		}
		r.trail.Digest = d
		if rest, _ := r.r.Peek(1); len(rest) > 0 {
			if err := r.lastZxid(); err != nil {
				return r.trail, err
			}
		}
	}
	r.state = stDone
	if r.closer != nil {
		if err := r.closer.Close(); err != nil {
			return r.trail, fmt.Errorf("wire: snapshot %s: %w", r.name, err)
		}
	}
	return r.trail, nil
}

func (r *SnapshotReader) lastZxid() error {
	z, err := r.int64("lastZxid")
	if err != nil {
		return err
	}
	if err := r.checkSeal("lastZxid seal"); err != nil {
		return err
	}
	r.trail.LastZxid = &z
	return nil
}

// WriteSnapshot writes a whole snapshot from slices: Sessions, ACLs, every node (in
// pre-order) and Finish with t.
func WriteSnapshot(w *SnapshotWriter, sessions []SnapSession, acls []ACLEntry, nodes []SnapNode, t SnapshotTrailer) error {
	if err := w.Sessions(sessions); err != nil {
		return err
	}
	if err := w.ACLs(acls); err != nil {
		return err
	}
	for i := range nodes {
		if err := w.Node(&nodes[i]); err != nil {
			return err
		}
	}
	return w.Finish(t)
}

// ReadSnapshot reads a whole snapshot: sessions, ACL cache, then every node through fn, then
// the seals and trailers.
func ReadSnapshot(r *SnapshotReader, fn func(*SnapNode) error) ([]SnapSession, []ACLEntry, SnapshotTrailer, error) {
	var t SnapshotTrailer
	sessions, err := r.Sessions()
	if err != nil {
		return nil, nil, t, err
	}
	acls, err := r.ACLs()
	if err != nil {
		return nil, nil, t, err
	}
	for {
		n, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, t, err
		}
		if err := fn(&n); err != nil {
			return nil, nil, t, err
		}
	}
	t, err = r.Finish()
	return sessions, acls, t, err
}
