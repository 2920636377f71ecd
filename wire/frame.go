package wire

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/zkgo/zkgo/jute"
)

// FrameError is a framing violation; the connection it came from must be closed.
type FrameError struct{ Msg string }

func (e *FrameError) Error() string { return "wire: " + e.Msg }

// ReadFrame reads one length-prefixed frame. It rejects negative lengths and lengths over max
// before allocating. buf is reused when large enough; the result aliases it.
func ReadFrame(r io.Reader, max int, buf []byte) ([]byte, error) {
	// The length goes into buf when it has room: a local array would escape through the
	// io.Reader and cost an allocation per frame.
	var hdr []byte
	if cap(buf) >= 4 {
		hdr = buf[:4]
	} else {
		hdr = make([]byte, 4)
	}
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, err
	}
	return ReadFrameBody(r, int32(binary.BigEndian.Uint32(hdr)), max, buf)
}

// ReadFrameBody reads the payload of a frame whose length prefix n was already read.
func ReadFrameBody(r io.Reader, n int32, max int, buf []byte) ([]byte, error) {
	if n < 0 {
		return nil, &FrameError{fmt.Sprintf("negative frame length %d", n)}
	}
	if int(n) > max {
		return nil, &FrameError{fmt.Sprintf("frame length %d exceeds jute.maxbuffer %d", n, max)}
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// AppendFrame appends a length-prefixed frame holding the given records, in order.
func AppendFrame(b []byte, recs ...jute.Record) []byte {
	n := 0
	for _, r := range recs {
		n += r.Size()
	}
	b = jute.AppendInt(b, int32(n))
	for _, r := range recs {
		b = r.Append(b)
	}
	return b
}

// FourLetterWords are the commands a fresh client connection may send instead of a frame
// length; the server answers in text and closes.
var FourLetterWords = []string{
	"conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srst", "srvr",
	"stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash",
}

// TelnetClose is the int a telnet client's close sequence reads as (0xfff4fffd).
const TelnetClose int32 = -720899

// FourLetterWord returns the command word if n (the first 4 bytes of a connection, read as a
// frame length) spells a known four-letter word.
func FourLetterWord(n int32) (string, bool) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(n))
	w := string(b[:])
	for _, k := range FourLetterWords {
		if k == w {
			return w, true
		}
	}
	return "", false
}
