package wire_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/goldens"
	"github.com/zkgo/zkgo/wire"
)

// fuzzMax is the frame and jute.maxbuffer limit of the fuzz targets: small on purpose.
const fuzzMax = 64

func goldenCases(f *testing.F, records ...string) [][]byte {
	files, err := goldens.Load("../jute/goldens/testdata")
	if err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	for _, gf := range files {
		for _, r := range records {
			if gf.Record == r {
				for _, c := range gf.Cases {
					out = append(out, c.Bytes)
				}
			}
		}
	}
	if len(out) == 0 {
		f.Fatalf("no goldens for %v", records)
	}
	return out
}

// FuzzReadFrame reads length-prefixed frames from arbitrary bytes. Properties: no panic;
// a frame is never longer than the limit (checked before allocating); each frame is exactly
// the bytes after its length prefix; the stream ends with io.EOF only at a frame boundary;
// and reading through a reader that splits the input at any offset (as TCP may) gives the
// same frames and the same outcome.
func FuzzReadFrame(f *testing.F) {
	for _, b := range goldenCases(f, "ConnectRequest", "RequestHeader", "GetDataRequest", "WatcherEvent") {
		frame := jute.AppendInt(nil, int32(len(b)))
		frame = append(frame, b...)
		f.Add(frame)
		f.Add(append(frame, frame...))
	}
	f.Add([]byte("ruok"))
	f.Add([]byte{0xff, 0xff, 0xff, 0xfe})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, in []byte) {
		want, wantErr := readFrames(t, bytes.NewReader(in), in)
		split := []int{1, len(in) / 2, len(in) - 1}
		if len(in) <= 64 {
			split = split[:0]
			for k := range len(in) {
				split = append(split, k)
			}
		}
		for _, k := range split {
			if k <= 0 || k >= len(in) {
				continue
			}
			got, gotErr := readFrames(t, io.MultiReader(bytes.NewReader(in[:k]), bytes.NewReader(in[k:])), in)
			if !reflect.DeepEqual(got, want) || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("split at %d: %d frames, %v; unsplit: %d frames, %v", k, len(got), gotErr, len(want), wantErr)
			}
		}
	})
}

// readFrames reads frames until an error and checks each against the input it came from.
func readFrames(t *testing.T, r io.Reader, in []byte) ([][]byte, error) {
	var frames [][]byte
	var buf []byte
	off := 0
	for {
		frame, err := wire.ReadFrame(r, fuzzMax, buf)
		if err != nil {
			// The error must be the one the remaining input calls for.
			rem := len(in) - off
			n := -1
			if rem >= 4 {
				n = int(int32(binary.BigEndian.Uint32(in[off:])))
			}
			valid := n >= 0 && n <= fuzzMax
			var fe *wire.FrameError
			switch {
			case err == io.EOF && rem == 0:
			case errors.As(err, &fe) && rem >= 4 && !valid:
			case err == io.ErrUnexpectedEOF && (rem > 0 && rem < 4 || valid && rem-4 < n):
			default:
				t.Fatalf("error %v at offset %d of %d (length field %d)", err, off, len(in), n)
			}
			return frames, err
		}
		if len(frame) > fuzzMax {
			t.Fatalf("frame of %d bytes exceeds the limit %d", len(frame), fuzzMax)
		}
		if !bytes.Equal(frame, in[off+4:off+4+len(frame)]) {
			t.Fatalf("frame at offset %d is %x, input has %x", off, frame, in[off+4:off+4+len(frame)])
		}
		frames = append(frames, bytes.Clone(frame))
		off += 4 + len(frame)
		buf = frame // reuse, as a connection does
	}
}

// FuzzConnectRequest decodes a client's first frame, with or without the readOnly byte.
// Properties: no panic, limits respected, and re-encoding gives back the whole frame (bar a
// loose boolean byte). The server's ConnectResponse decoder is fuzzed on the same bytes.
func FuzzConnectRequest(f *testing.F) {
	for _, b := range goldenCases(f, "ConnectRequest", "ConnectResponse") {
		f.Add(b)
		f.Add(append(b, 1))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if req, hasReadOnly, err := wire.DecodeConnectRequest(in, fuzzMax); err == nil {
			if err := goldens.CheckLimits(req, fuzzMax, len(in)); err != nil {
				t.Fatal(err)
			}
			enc := req.Append(nil)
			if !hasReadOnly {
				enc = enc[:len(enc)-1]
			}
			// Bytes after readOnly are ignored (as Java does): compare the consumed prefix.
			if len(enc) > len(in) {
				t.Fatalf("ConnectRequest re-encoded to %d bytes from %d", len(enc), len(in))
			}
			if err := goldens.CheckReencoded(in[:len(enc)], enc, 0, nil); err != nil {
				t.Fatalf("ConnectRequest (readOnly %v): %v", hasReadOnly, err)
			}
		}
		if resp, hasReadOnly, err := wire.DecodeConnectResponse(in); err == nil {
			enc := wire.AppendConnectResponse(nil, &resp, hasReadOnly)[4:]
			if len(enc) > len(in) {
				t.Fatalf("ConnectResponse re-encoded to %d bytes from %d", len(enc), len(in))
			}
			if err := goldens.CheckReencoded(in[:len(enc)], enc, 0, nil); err != nil {
				t.Fatalf("ConnectResponse (readOnly %v): %v", hasReadOnly, err)
			}
		}
	})
}

// FuzzMulti decodes a MultiOperationRecord (first byte even) or a MultiResponse (odd).
// Properties: no panic; limits respected; the re-encoding has the consumed length and the
// consumed bytes except where readers ignore them: every header's err field, the type of the
// closing header (Java reads only its done flag), loose booleans and null strings; and the
// re-encoding decodes to the same ops and encodes to itself.
func FuzzMulti(f *testing.F) {
	for _, b := range goldenCases(f, "MultiOperationRecord") {
		f.Add(append([]byte{0}, b...))
	}
	for _, b := range goldenCases(f, "MultiResponse") {
		f.Add(append([]byte{1}, b...))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		frame := in[1:]
		if in[0]%2 == 0 {
			checkMulti(t, frame, wire.DecodeMulti, wire.AppendMulti, wire.MultiSize, func(o wire.MultiOp) int { return o.Record.Size() })
		} else {
			checkMulti(t, frame, wire.DecodeMultiResponse, wire.AppendMultiResponse, wire.MultiResponseSize, func(r wire.MultiResult) int {
				if r.Op == wire.OpError {
					return 4
				}
				if r.Record == nil {
					return 0
				}
				return r.Record.Size()
			})
		}
	})
}

func checkMulti[T any](t *testing.T, frame []byte, decode func(*jute.Decoder) ([]T, error), appendTo func([]byte, []T) []byte, size func([]T) int, bodySize func(T) int) {
	d := jute.NewDecoder(frame)
	d.MaxBuffer = fuzzMax
	items, err := decode(d)
	if err != nil {
		return
	}
	if err := goldens.CheckLimits(items, fuzzMax, len(frame)); err != nil {
		t.Fatal(err)
	}
	enc := appendTo(nil, items)
	if size(items) != len(enc) {
		t.Fatalf("size %d, encoded %d bytes", size(items), len(enc))
	}
	// Positions no reader looks at: each header's err, and the closing header's type.
	ignored := map[int]bool{}
	off := 0
	for i := 0; i <= len(items); i++ {
		for k := 5; k < 9; k++ {
			ignored[off+k] = true
		}
		if i == len(items) {
			for k := 0; k < 4; k++ {
				ignored[off+k] = true
			}
			break
		}
		off += 9 + bodySize(items[i])
	}
	if err := goldens.CheckReencoded(frame[:d.Offset()], enc, d.NullStrings, func(i int) bool { return ignored[i] }); err != nil {
		t.Fatal(err)
	}
	d2 := jute.NewDecoder(enc)
	again, err := decode(d2)
	if err != nil || d2.Remaining() != 0 || !reflect.DeepEqual(again, items) {
		t.Fatalf("re-encoding decodes to %v, %v (%d bytes left); want %v", again, err, d2.Remaining(), items)
	}
	if enc2 := appendTo(nil, again); !bytes.Equal(enc2, enc) {
		t.Fatalf("re-encoding is not a fixed point:\n%x\n%x", enc, enc2)
	}
}
