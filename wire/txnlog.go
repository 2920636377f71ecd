package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"io"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
)

// Txn log file (`version-2/log.<hex zxid of its first txn>`, P/FileTxnLog.java):
//
//	FileHeader  int magic 0x5A4B4C47 ("ZKLG"), int version 2, long dbid 0      16 bytes
//	entry*      long checksum   Adler-32 of the payload only (upper 32 bits 0)
//	            int  length     payload length (> 0)
//	            payload         TxnHeader + txn record + optional TxnDigest
//	            byte 0x42       'B', end of record
//	padding     zero bytes up to the preallocated size; a zero length ends the file
//
// The payload is exactly the data of a ZAB PROPOSAL (DecodeTxn, AppendTxn).

// File magics and the on-disk format version shared by txn logs and snapshots.
const (
	TxnLogMagic   int32 = 0x5A4B4C47 // "ZKLG"
	SnapshotMagic int32 = 0x5A4B534E // "ZKSN"
	FileVersion   int32 = 2
	// TxnLogHeaderSize is the size of a txn log's FileHeader.
	TxnLogHeaderSize = 16
	// logEntryOverhead is checksum + length + end-of-record byte.
	logEntryOverhead = 8 + 4 + 1
	// DefaultMaxLogEntry is the largest log entry payload, or snapshot buffer, a reader
	// accepts by default: Java reads with jute.maxbuffer plus jute.maxbuffer.extrasize (1024).
	DefaultMaxLogEntry = jute.DefaultMaxBuffer + 1024
)

// ErrTornTail matches (errors.Is) a TxnLogError for a partial or garbled last entry: what a
// crash leaves behind when an unsynced batch was half written. The file's valid part ends at
// the error's Offset and the caller may truncate it there.
var ErrTornTail = errors.New("torn tail")

// TxnLogError is a problem in a txn log file, at Offset (the start of the bad entry, which is
// also the end of the last good one).
type TxnLogError struct {
	File   string
	Offset int64
	Torn   bool // a torn tail: nothing but zeros follows the bad entry
	Msg    string
}

func (e *TxnLogError) Error() string {
	s := fmt.Sprintf("wire: txn log %s: offset %d: %s", e.File, e.Offset, e.Msg)
	if e.Torn {
		s += " (torn tail)"
	}
	return s
}

// Is reports whether target is ErrTornTail and e is a torn tail.
func (e *TxnLogError) Is(target error) bool { return e.Torn && target == ErrTornTail }

// TxnLogWriter appends entries to a txn log through a bufio.Writer. It writes the FileHeader
// when created; the caller decides when to Flush and fsync.
type TxnLogWriter struct {
	w   *bufio.Writer
	off int64
	hdr [12]byte
}

// NewTxnLogWriter writes a txn log FileHeader{ZKLG, 2, dbid 0} to w and returns a writer
// positioned after it. w is wrapped in a bufio.Writer unless it is one.
func NewTxnLogWriter(w io.Writer) (*TxnLogWriter, error) {
	bw, ok := w.(*bufio.Writer)
	if !ok {
		bw = bufio.NewWriterSize(w, 64<<10)
	}
	h := records.FileHeader{Magic: TxnLogMagic, Version: FileVersion, DBID: 0}
	var b [TxnLogHeaderSize]byte
	if _, err := bw.Write(h.Append(b[:0])); err != nil {
		return nil, err
	}
	return &TxnLogWriter{w: bw, off: TxnLogHeaderSize}, nil
}

// Append writes one entry: checksum, length, payload, 'B'. The payload must not be empty.
func (w *TxnLogWriter) Append(payload []byte) error {
	if len(payload) == 0 {
		return errors.New("wire: txn log entry with an empty payload")
	}
	binary.BigEndian.PutUint64(w.hdr[0:], uint64(adler32.Checksum(payload)))
	binary.BigEndian.PutUint32(w.hdr[8:], uint32(len(payload)))
	if _, err := w.w.Write(w.hdr[:]); err != nil {
		return err
	}
	if _, err := w.w.Write(payload); err != nil {
		return err
	}
	if err := w.w.WriteByte('B'); err != nil {
		return err
	}
	w.off += int64(len(payload)) + logEntryOverhead
	return nil
}

// Offset is the file size once everything appended is flushed.
func (w *TxnLogWriter) Offset() int64 { return w.off }

// Flush writes the buffered bytes to the underlying writer (no fsync).
func (w *TxnLogWriter) Flush() error { return w.w.Flush() }

// AppendLogEntry appends the on-disk form of one entry (checksum, length, payload, 'B') to b.
func AppendLogEntry(b, payload []byte) []byte {
	b = jute.AppendLong(b, int64(adler32.Checksum(payload)))
	b = jute.AppendBuffer(b, payload)
	return append(b, 'B')
}

// AppendTxnLogHeader appends a txn log FileHeader to b.
func AppendTxnLogHeader(b []byte) []byte {
	h := records.FileHeader{Magic: TxnLogMagic, Version: FileVersion}
	return h.Append(b)
}

// LogEntry is one entry read from a txn log.
type LogEntry struct {
	Offset  int64             // file offset of the entry's checksum field
	Header  records.TxnHeader // parsed from the payload's first 32 bytes
	Payload []byte            // TxnHeader + txn record + optional TxnDigest (owned by the caller)
}

// Size is the entry's size on disk.
func (e *LogEntry) Size() int64 { return int64(len(e.Payload)) + logEntryOverhead }

// TxnLogReader reads a txn log file entry by entry.
//
// Next returns io.EOF at a clean end: the end of the file, or a zero checksum and length (the
// preallocated padding). It returns a *TxnLogError when an entry is bad. The error is a torn
// tail (errors.Is(err, ErrTornTail)) when the bad entry is followed by nothing but zeros up to
// the end of the file: a short entry, a missing 'B', a garbled length or a checksum mismatch
// there is what an interrupted, unsynced write leaves. Anything else after a bad entry makes it
// corruption in the middle of the log. Java's reader instead stops silently at a missing 'B' or
// a short read and fails on any checksum mismatch.
type TxnLogReader struct {
	r        *bufio.Reader
	name     string
	off      int64
	header   records.FileHeader
	done     error
	MaxEntry int // largest accepted payload; DefaultMaxLogEntry unless changed
}

// NewTxnLogReader reads and checks the FileHeader of the txn log r; name is used in errors.
// A file shorter than its header is reported as a torn tail at offset 0.
func NewTxnLogReader(r io.Reader, name string) (*TxnLogReader, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	lr := &TxnLogReader{r: br, name: name, MaxEntry: DefaultMaxLogEntry}
	var b [TxnLogHeaderSize]byte
	if n, err := io.ReadFull(br, b[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, &TxnLogError{File: name, Torn: true, Msg: fmt.Sprintf("file header: only %d of %d bytes", n, TxnLogHeaderSize)}
		}
		return nil, fmt.Errorf("wire: txn log %s: %w", name, err)
	}
	if err := jute.Unmarshal(b[:], &lr.header); err != nil {
		return nil, err
	}
	if lr.header.Magic != TxnLogMagic {
		return nil, &TxnLogError{File: name, Msg: fmt.Sprintf("bad magic 0x%08x, want 0x%08x (ZKLG)", uint32(lr.header.Magic), uint32(TxnLogMagic))}
	}
	lr.off = TxnLogHeaderSize
	return lr, nil
}

// Header is the file's FileHeader.
func (r *TxnLogReader) Header() records.FileHeader { return r.header }

// Offset is the end of the last entry read (where a torn tail would be cut).
func (r *TxnLogReader) Offset() int64 { return r.off }

// Next reads the next entry. See TxnLogReader for the errors it returns; after an error, every
// later call returns the same error.
func (r *TxnLogReader) Next() (LogEntry, error) {
	if r.done != nil {
		return LogEntry{}, r.done
	}
	e, err := r.next()
	if err != nil {
		r.done = err
	}
	return e, err
}

func (r *TxnLogReader) next() (LogEntry, error) {
	start := r.off
	var hdr [12]byte
	n, err := io.ReadFull(r.r, hdr[:])
	switch {
	case err == io.EOF:
		return LogEntry{}, io.EOF
	case err == io.ErrUnexpectedEOF:
		return LogEntry{}, r.bad(start, fmt.Sprintf("partial entry header: %d of 12 bytes", n))
	case err != nil:
		return LogEntry{}, r.ioErr(start, err)
	}
	crc := binary.BigEndian.Uint64(hdr[0:])
	length := int32(binary.BigEndian.Uint32(hdr[8:]))
	if length == 0 {
		if crc == 0 {
			return LogEntry{}, io.EOF // preallocated padding
		}
		return LogEntry{}, r.bad(start, fmt.Sprintf("zero length with checksum 0x%x", crc))
	}
	if length < 0 || int(length) > r.MaxEntry {
		return LogEntry{}, r.bad(start, fmt.Sprintf("bad entry length %d (limit %d)", length, r.MaxEntry))
	}
	payload := make([]byte, length)
	if n, err := io.ReadFull(r.r, payload); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return LogEntry{}, r.bad(start, fmt.Sprintf("partial entry: %d of %d payload bytes", n, length))
		}
		return LogEntry{}, r.ioErr(start, err)
	}
	eor, err := r.r.ReadByte()
	if err == io.EOF {
		return LogEntry{}, r.bad(start, "missing end-of-record byte")
	} else if err != nil {
		return LogEntry{}, r.ioErr(start, err)
	}
	if eor != 'B' {
		return LogEntry{}, r.bad(start, fmt.Sprintf("end-of-record byte 0x%02x, want 0x42 ('B')", eor))
	}
	if sum := uint64(adler32.Checksum(payload)); sum != crc {
		// A complete entry (its end-of-record byte is there) with a wrong checksum is
		// corruption, never a torn tail, wherever it is: Java refuses to start on it too
		// ("CRC check failed"), and it may hold an acknowledged txn.
		return LogEntry{}, &TxnLogError{File: r.name, Offset: start, Msg: fmt.Sprintf("checksum mismatch: stored 0x%x, computed 0x%x", crc, sum)}
	}
	e := LogEntry{Offset: start, Payload: payload}
	if len(payload) < 32 {
		return LogEntry{}, &TxnLogError{File: r.name, Offset: start, Msg: fmt.Sprintf("entry of %d bytes is shorter than a TxnHeader", len(payload))}
	}
	if err := jute.Unmarshal(payload, &e.Header); err != nil {
		return LogEntry{}, &TxnLogError{File: r.name, Offset: start, Msg: err.Error()}
	}
	r.off += int64(length) + logEntryOverhead
	return e, nil
}

// bad classifies a bad entry at start: a torn tail when only zeros follow to the end of the
// file, corruption otherwise.
func (r *TxnLogReader) bad(start int64, msg string) error {
	var buf [32 << 10]byte
	pos := start
	for {
		n, err := r.r.Read(buf[:])
		for i, c := range buf[:n] {
			if c != 0 {
				return &TxnLogError{File: r.name, Offset: start, Msg: fmt.Sprintf("%s; non-zero data follows at offset %d or later", msg, pos+int64(i))}
			}
		}
		pos += int64(n)
		if err == io.EOF {
			return &TxnLogError{File: r.name, Offset: start, Torn: true, Msg: msg}
		}
		if err != nil {
			return r.ioErr(start, err)
		}
	}
}

func (r *TxnLogReader) ioErr(off int64, err error) error {
	return fmt.Errorf("wire: txn log %s: offset %d: %w", r.name, off, err)
}

// TxnEntry is a decoded txn: a txn-log entry payload or a ZAB PROPOSAL's data.
type TxnEntry struct {
	Header records.TxnHeader
	Record jute.Record        // by Header.Type (see DecodeTxn); nil for a closeSession without body
	Digest *records.TxnDigest // nil when absent
}

// DecodeTxn parses a txn payload (P/Util.java, S/util/SerializeUtils.deserializeTxn): the
// TxnHeader, the record its type calls for, then an optional TxnDigest (fewer than 12 bytes
// left means no digest).
//
//	-10 createSession    CreateSessionTxn
//	-11 closeSession     CloseSessionTxn, or no body (3.5 and older, or closeSessionTxn disabled)
//	  1 create           CreateTxn; a body too short for it is read as CreateTxnV0 with
//	                     parentCVersion -1, as Java does for pre-3.3 logs
//	 15 create2          CreateTxn
//	 21 createTTL        CreateTTLTxn
//	 19 createContainer  CreateContainerTxn
//	2, 20 delete, deleteContainer   DeleteTxn
//	5, 16 setData, reconfig         SetDataTxn
//	  7 setACL           SetACLTxn
//	 13 check            CheckVersionTxn (Java only reads it inside a multi)
//	 -1 error            ErrorTxn
//	 14 multi            MultiTxn (sub-txns: DecodeSubTxn)
//
// Decoded buffers alias payload.
func DecodeTxn(payload []byte) (TxnEntry, error) {
	var t TxnEntry
	d := jute.NewDecoder(payload)
	d.MaxBuffer = 0 // the entry length was already bounded
	if err := t.Header.Decode(d); err != nil {
		return t, err
	}
	op := Op(t.Header.Type)
	rec := NewTxnRecord(op)
	if rec == nil {
		return t, fmt.Errorf("wire: txn zxid 0x%x: unsupported txn type %d (%s)", t.Header.Zxid, t.Header.Type, op)
	}
	body := d.Offset()
	switch {
	case op == OpCloseSession && d.Remaining() == 0:
		rec = nil
	default:
		if err := rec.Decode(d); err != nil {
			switch {
			case op == OpCreate && errors.Is(err, jute.ErrShort):
				var v0 records.CreateTxnV0
				d = jute.NewDecoder(payload[body:])
				d.MaxBuffer = 0
				if err := v0.Decode(d); err != nil {
					return t, fmt.Errorf("wire: txn zxid 0x%x: %w", t.Header.Zxid, err)
				}
				rec = &records.CreateTxn{Path: v0.Path, Data: v0.Data, ACL: v0.ACL, Ephemeral: v0.Ephemeral, ParentCVersion: -1}
			case op == OpCloseSession:
				// not a CloseSessionTxn (closeSessionTxn disabled, a digest follows)
				rec = nil
				d = jute.NewDecoder(payload[body:])
			default:
				return t, fmt.Errorf("wire: txn zxid 0x%x: %w", t.Header.Zxid, err)
			}
		}
	}
	t.Record = rec
	if d.Remaining() >= 12 {
		t.Digest = new(records.TxnDigest)
		if err := t.Digest.Decode(d); err != nil {
			return t, err
		}
	}
	return t, nil
}

// DecodeSubTxn decodes the record of one MultiTxn sub-txn by its type (create, create2,
// createTTL, createContainer, delete, deleteContainer, setData, check, error).
func DecodeSubTxn(sub *records.Txn) (jute.Record, error) {
	op := Op(sub.Type)
	var rec jute.Record
	switch op {
	case OpCreate, OpCreate2, OpCreateTTL, OpCreateContainer, OpDelete, OpDeleteContainer,
		OpSetData, OpCheck, OpError:
		rec = NewTxnRecord(op)
	default:
		return nil, fmt.Errorf("wire: multi sub-txn: unsupported type %d (%s)", sub.Type, op)
	}
	d := jute.NewDecoder(sub.Data)
	d.MaxBuffer = 0
	if err := rec.Decode(d); err != nil {
		return nil, fmt.Errorf("wire: multi sub-txn %s: %w", op, err)
	}
	return rec, nil
}

// TxnSize is the encoded size of a txn payload.
func TxnSize(hdr *records.TxnHeader, rec jute.Record, digest *records.TxnDigest) int {
	n := hdr.Size()
	if rec != nil {
		n += rec.Size()
	}
	if digest != nil {
		n += digest.Size()
	}
	return n
}

// AppendTxn appends a txn payload (Util.marshallTxnEntry): TxnHeader, the record if not nil,
// the digest if not nil. The result is both a txn-log entry payload and PROPOSAL data.
func AppendTxn(b []byte, hdr *records.TxnHeader, rec jute.Record, digest *records.TxnDigest) []byte {
	b = hdr.Append(b)
	if rec != nil {
		b = rec.Append(b)
	}
	if digest != nil {
		b = digest.Append(b)
	}
	return b
}

// MarshalTxn encodes a txn payload into a new slice of exactly its size.
func MarshalTxn(hdr *records.TxnHeader, rec jute.Record, digest *records.TxnDigest) []byte {
	return AppendTxn(make([]byte, 0, TxnSize(hdr, rec, digest)), hdr, rec, digest)
}

// Marshal encodes t (see MarshalTxn).
func (t *TxnEntry) Marshal() []byte { return MarshalTxn(&t.Header, t.Record, t.Digest) }
