package jute

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// DefaultMaxBuffer is jute.maxbuffer's default: the largest buffer, string or frame accepted.
const DefaultMaxBuffer = 0xfffff

// Record is implemented by every generated record type.
type Record interface {
	// Size is the number of bytes Append will add.
	Size() int
	// Append encodes the record onto b.
	Append(b []byte) []byte
	// Decode reads the record's fields from d.
	Decode(d *Decoder) error
}

// Marshal encodes r into a new slice of exactly r.Size() bytes.
func Marshal(r Record) []byte { return r.Append(make([]byte, 0, r.Size())) }

// Unmarshal decodes r from b with the default limits. Trailing bytes are left unread and are
// not an error: several ZooKeeper records are followed by optional parts.
func Unmarshal(b []byte, r Record) error { return r.Decode(NewDecoder(b)) }

// ErrShort is returned (wrapped) when a frame ends before a field does.
var ErrShort = errors.New("unexpected end of data")

// FieldError says which record field failed to decode and why.
type FieldError struct {
	Record string
	Field  string
	Err    error
}

func (e *FieldError) Error() string {
	var sb strings.Builder
	sb.WriteString("jute: ")
	var err error = e
	for {
		fe, ok := err.(*FieldError)
		if !ok {
			break
		}
		sb.WriteString(fe.Record)
		sb.WriteByte('.')
		sb.WriteString(fe.Field)
		sb.WriteString(": ")
		err = fe.Err
	}
	sb.WriteString(err.Error())
	return sb.String()
}

func (e *FieldError) Unwrap() error { return e.Err }

// FieldErr wraps err with the record and field it happened in.
func FieldErr(record, field string, err error) error {
	return &FieldError{Record: record, Field: field, Err: err}
}

// Decoder reads Jute values from one complete frame.
type Decoder struct {
	buf []byte
	off int
	// MaxBuffer bounds every buffer, string and vector length (jute.maxbuffer).
	MaxBuffer int
	// NullStrings counts ustrings read as null (-1); they decode as "" and re-encode as empty.
	NullStrings int
	// CopyBuffers makes Buffer return copies instead of slices of the frame, so that decoded
	// records never alias it: a reader can then reuse one frame buffer for every frame, and
	// what it keeps (a znode's data) holds only its own bytes, not the whole request.
	CopyBuffers bool
}

// NewDecoder returns a decoder over b with MaxBuffer = DefaultMaxBuffer.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b, MaxBuffer: DefaultMaxBuffer} }

// Reset points d at a new frame, keeping MaxBuffer.
func (d *Decoder) Reset(b []byte) { d.buf, d.off, d.NullStrings = b, 0, 0 }

// Remaining is the number of unread bytes.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Offset is the number of bytes read so far.
func (d *Decoder) Offset() int { return d.off }

// Rest returns the unread bytes (aliasing the frame) and consumes them.
func (d *Decoder) Rest() []byte {
	b := d.buf[d.off:]
	d.off = len(d.buf)
	return b
}

func (d *Decoder) short(want int) error {
	return fmt.Errorf("%w: need %d bytes at offset %d, have %d", ErrShort, want, d.off, len(d.buf)-d.off)
}

// Byte reads one byte.
func (d *Decoder) Byte() (byte, error) {
	if d.off >= len(d.buf) {
		return 0, d.short(1)
	}
	v := d.buf[d.off]
	d.off++
	return v, nil
}

// Bool reads a boolean byte; any non-zero value is true, as in Java.
func (d *Decoder) Bool() (bool, error) {
	v, err := d.Byte()
	return v != 0, err
}

// Int reads a 32-bit big-endian integer.
func (d *Decoder) Int() (int32, error) {
	if len(d.buf)-d.off < 4 {
		return 0, d.short(4)
	}
	v := int32(binary.BigEndian.Uint32(d.buf[d.off:]))
	d.off += 4
	return v, nil
}

// Long reads a 64-bit big-endian integer.
func (d *Decoder) Long() (int64, error) {
	if len(d.buf)-d.off < 8 {
		return 0, d.short(8)
	}
	v := int64(binary.BigEndian.Uint64(d.buf[d.off:]))
	d.off += 8
	return v, nil
}

// length reads and checks a length prefix: -1 is returned as is; other negatives, lengths
// over MaxBuffer and lengths over what remains are errors.
func (d *Decoder) length(minElem int) (int, error) {
	n, err := d.Int()
	if err != nil {
		return 0, err
	}
	if n == -1 {
		return -1, nil
	}
	if n < 0 {
		return 0, fmt.Errorf("negative length %d", n)
	}
	if d.MaxBuffer > 0 && int(n) > d.MaxBuffer {
		return 0, fmt.Errorf("length %d exceeds jute.maxbuffer %d", n, d.MaxBuffer)
	}
	if int64(n)*int64(minElem) > int64(len(d.buf)-d.off) {
		return 0, fmt.Errorf("%w: length %d exceeds the %d bytes that remain", ErrShort, n, len(d.buf)-d.off)
	}
	return int(n), nil
}

// Buffer reads a buffer: nil for -1, non-nil empty for 0. The result aliases the frame,
// unless CopyBuffers.
func (d *Decoder) Buffer() ([]byte, error) {
	n, err := d.length(1)
	if err != nil || n < 0 {
		return nil, err
	}
	b := d.buf[d.off : d.off+n : d.off+n]
	d.off += n
	if d.CopyBuffers {
		b = append(make([]byte, 0, n), b...)
	}
	return b, nil
}

// String reads a ustring; null (-1) reads as "" and is counted in NullStrings.
func (d *Decoder) String() (string, error) {
	n, err := d.length(1)
	if err != nil {
		return "", err
	}
	if n < 0 {
		d.NullStrings++
		return "", nil
	}
	s := string(d.buf[d.off : d.off+n])
	d.off += n
	return s, nil
}

// VectorLen reads a vector count: -1 for null. minElem is the smallest encoded size of one
// element, so that a count can never make the caller allocate more than the frame can hold.
func (d *Decoder) VectorLen(minElem int) (int, error) {
	return d.length(minElem)
}

// AppendByte appends one byte.
func AppendByte(b []byte, v byte) []byte { return append(b, v) }

// AppendBool appends 1 for true, 0 for false.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// AppendInt appends a 32-bit big-endian integer.
func AppendInt(b []byte, v int32) []byte { return binary.BigEndian.AppendUint32(b, uint32(v)) }

// AppendLong appends a 64-bit big-endian integer.
func AppendLong(b []byte, v int64) []byte { return binary.BigEndian.AppendUint64(b, uint64(v)) }

// AppendBuffer appends a buffer; nil is written as null (-1).
func AppendBuffer(b []byte, v []byte) []byte {
	if v == nil {
		return AppendInt(b, -1)
	}
	b = AppendInt(b, int32(len(v)))
	return append(b, v...)
}

// AppendString appends a ustring (never null).
func AppendString(b []byte, s string) []byte {
	b = AppendInt(b, int32(len(s)))
	return append(b, s...)
}

// AppendVectorLen appends a vector count, -1 when null.
func AppendVectorLen(b []byte, n int, null bool) []byte {
	if null {
		return AppendInt(b, -1)
	}
	return AppendInt(b, int32(n))
}

// BufferSize is the encoded size of a buffer.
func BufferSize(v []byte) int { return 4 + len(v) }

// StringSize is the encoded size of a ustring.
func StringSize(s string) int { return 4 + len(s) }

// StringsSize is the encoded size of a vector<ustring>.
func StringsSize(v []string) int {
	n := 4
	for _, s := range v {
		n += 4 + len(s)
	}
	return n
}

// AppendStrings appends a vector<ustring>; nil is written as null.
func AppendStrings(b []byte, v []string) []byte {
	b = AppendVectorLen(b, len(v), v == nil)
	for _, s := range v {
		b = AppendString(b, s)
	}
	return b
}

// Strings reads a vector<ustring>: nil for null.
func (d *Decoder) Strings() ([]string, error) {
	n, err := d.VectorLen(4)
	if err != nil || n < 0 {
		return nil, err
	}
	v := make([]string, n)
	for i := range v {
		if v[i], err = d.String(); err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
	}
	return v, nil
}
