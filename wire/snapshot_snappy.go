package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/snappy"
)

// snappy-java's stream framing (org.xerial.snappy.SnappyOutputStream / SnappyInputStream), which
// Java ZooKeeper uses for `snapshot.<zxid>.snappy`:
//
//	header  8 bytes 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00, int version 1, int compatible version 1
//	chunk*  int compressed length (big-endian), then one raw snappy block
//
// SnappyOutputStream compresses 32 KiB of input per chunk. SnappyInputStream also accepts a
// header in place of a chunk length (concatenated streams) and a stream without the header
// (one raw snappy block). The block codec is klauspost/compress/snappy; the framing is written
// here because the Go packages for it (klauspost/compress/snappy/xerial, eapache/go-xerial-snappy)
// work on whole buffers only, and a snapshot must stream.

var xerialMagic = [8]byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

const (
	xerialHeaderSize = 16
	xerialBlockSize  = 32 << 10
	xerialMaxChunk   = 1 << 28 // a sanity bound on one chunk, compressed or not
)

type xerialWriter struct {
	w    io.Writer
	in   []byte
	out  []byte
	head bool
}

func newXerialWriter(w io.Writer) *xerialWriter {
	return &xerialWriter{w: w, in: make([]byte, 0, xerialBlockSize)}
}

func (x *xerialWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), xerialBlockSize-len(x.in))
		x.in = append(x.in, p[:k]...)
		p = p[k:]
		if len(x.in) == xerialBlockSize {
			if err := x.block(); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

func (x *xerialWriter) header() error {
	if x.head {
		return nil
	}
	x.head = true
	var h [xerialHeaderSize]byte
	copy(h[:], xerialMagic[:])
	binary.BigEndian.PutUint32(h[8:], 1)
	binary.BigEndian.PutUint32(h[12:], 1)
	_, err := x.w.Write(h[:])
	return err
}

func (x *xerialWriter) block() error {
	if err := x.header(); err != nil {
		return err
	}
	if len(x.in) == 0 {
		return nil
	}
	need := 4 + snappy.MaxEncodedLen(len(x.in))
	if cap(x.out) < need {
		x.out = make([]byte, need)
	}
	enc := snappy.Encode(x.out[4:need], x.in)
	binary.BigEndian.PutUint32(x.out, uint32(len(enc)))
	x.in = x.in[:0]
	_, err := x.w.Write(x.out[:4+len(enc)])
	return err
}

// Close writes the last chunk (and the header of an empty stream); it does not close w.
func (x *xerialWriter) Close() error { return x.block() }

type xerialReader struct {
	r    io.Reader
	raw  bool // no header: the whole stream is one snappy block
	comp []byte
	out  []byte
	pos  int
	eof  bool
}

func newXerialReader(r io.Reader) (*xerialReader, error) {
	x := &xerialReader{r: r}
	var h [xerialHeaderSize]byte
	n, err := io.ReadFull(r, h[:])
	switch {
	case n == 0 && err == io.EOF:
		x.eof = true
		return x, nil
	case err != nil && err != io.ErrUnexpectedEOF:
		return nil, err
	}
	if n < xerialHeaderSize || !bytes.Equal(h[:8], xerialMagic[:]) {
		// SnappyInputStream reads a stream without header as one raw block.
		rest, err := io.ReadAll(io.LimitReader(r, xerialMaxChunk))
		if err != nil {
			return nil, err
		}
		x.out, err = snappy.Decode(nil, append(h[:n:n], rest...))
		if err != nil {
			return nil, fmt.Errorf("raw snappy block: %w", err)
		}
		x.raw, x.eof = true, true
		return x, nil
	}
	if v := int32(binary.BigEndian.Uint32(h[12:])); v > 1 {
		return nil, fmt.Errorf("stream needs snappy-java framing version %d", v)
	}
	return x, nil
}

func (x *xerialReader) Read(p []byte) (int, error) {
	for x.pos == len(x.out) {
		if x.eof {
			return 0, io.EOF
		}
		if err := x.chunk(); err != nil {
			return 0, err
		}
	}
	n := copy(p, x.out[x.pos:])
	x.pos += n
	return n, nil
}

func (x *xerialReader) chunk() error {
	var l [4]byte
	n, err := io.ReadFull(x.r, l[:])
	if n == 0 && err == io.EOF {
		x.eof = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("snappy chunk length: %w", io.ErrUnexpectedEOF)
	}
	if bytes.Equal(l[:], xerialMagic[:4]) {
		// a concatenated stream: the rest of its header, then its chunks
		var h [xerialHeaderSize - 4]byte
		if _, err := io.ReadFull(x.r, h[:]); err != nil || !bytes.Equal(h[:4], xerialMagic[4:]) {
			return errors.New("snappy: bad header of a concatenated stream")
		}
		return nil
	}
	size := int32(binary.BigEndian.Uint32(l[:]))
	if size < 0 || size > xerialMaxChunk {
		return fmt.Errorf("snappy: bad chunk length %d", size)
	}
	if cap(x.comp) < int(size) {
		x.comp = make([]byte, size)
	}
	x.comp = x.comp[:size]
	if _, err := io.ReadFull(x.r, x.comp); err != nil {
		return fmt.Errorf("snappy chunk of %d bytes: %w", size, io.ErrUnexpectedEOF)
	}
	dl, err := snappy.DecodedLen(x.comp)
	if err != nil || dl > xerialMaxChunk {
		return fmt.Errorf("snappy: bad chunk (decoded length %d): %v", dl, err)
	}
	if cap(x.out) < dl {
		x.out = make([]byte, dl)
	}
	x.out, err = snappy.Decode(x.out[:cap(x.out)], x.comp)
	if err != nil {
		return fmt.Errorf("snappy chunk: %w", err)
	}
	x.pos = 0
	return nil
}
