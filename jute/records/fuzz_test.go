package records_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/goldens"
	"github.com/zkgo/zkgo/jute/records"
)

// fuzzMax is the jute.maxbuffer of the fuzz decoders: small, so that the limit is hit often.
const fuzzMax = 256

// Each module has its own target so that the fuzzer's coverage feedback stays focused. The
// first input byte picks the record (modulo the module's record count); the rest is the frame.
// Properties:
//   - no panic; a decode error is a FieldError naming the record;
//   - nothing decoded is longer than fuzzMax, and no more slice elements than frame bytes;
//   - re-encoding reproduces the consumed bytes, except where Java's reader is lenient too:
//     booleans other than 0/1 come back as 1, null ustrings (counted in Decoder.NullStrings)
//     as empty ones (goldens.CheckReencoded);
//   - the re-encoding is canonical: it decodes to the same value and encodes to itself.
func FuzzData(f *testing.F)        { fuzzModule(f, "data") }
func FuzzProto(f *testing.F)       { fuzzModule(f, "proto") }
func FuzzTxn(f *testing.F)         { fuzzModule(f, "txn") }
func FuzzQuorum(f *testing.F)      { fuzzModule(f, "quorum") }
func FuzzPersistence(f *testing.F) { fuzzModule(f, "persistence") }

func fuzzModule(f *testing.F, module string) {
	var infos []records.Info
	for _, i := range records.All {
		if i.Module == module {
			infos = append(infos, i)
		}
	}
	if len(infos) == 0 || len(infos) > 256 {
		f.Fatalf("module %s has %d records", module, len(infos))
	}
	files, err := goldens.Load("../goldens/testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, gf := range files {
		for idx, i := range infos {
			if i.Name != gf.Record {
				continue
			}
			for _, c := range gf.Cases {
				f.Add(append([]byte{byte(idx)}, c.Bytes...))
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		info := infos[int(in[0])%len(infos)]
		frame := in[1:]
		d := jute.NewDecoder(frame)
		d.MaxBuffer = fuzzMax
		r := info.New()
		if err := r.Decode(d); err != nil {
			var fe *jute.FieldError
			if !errors.As(err, &fe) || fe.Record != info.Name {
				t.Fatalf("%s: error %v does not name the record", info.Name, err)
			}
			return
		}
		if err := goldens.CheckLimits(r, fuzzMax, len(frame)); err != nil {
			t.Fatalf("%s: %v", info.Name, err)
		}
		enc := jute.Marshal(r)
		if r.Size() != len(enc) {
			t.Fatalf("%s: Size() = %d, Append wrote %d bytes", info.Name, r.Size(), len(enc))
		}
		if err := goldens.CheckReencoded(frame[:d.Offset()], enc, d.NullStrings, nil); err != nil {
			t.Fatalf("%s: %v", info.Name, err)
		}
		again := info.New()
		d2 := jute.NewDecoder(enc)
		if err := again.Decode(d2); err != nil || d2.Remaining() != 0 || d2.NullStrings != 0 {
			t.Fatalf("%s: decoding the re-encoding: %v (%d bytes left, %d null strings)", info.Name, err, d2.Remaining(), d2.NullStrings)
		}
		if !reflect.DeepEqual(r, again) {
			t.Fatalf("%s: re-encoding decodes to\n%#v\nnot\n%#v", info.Name, again, r)
		}
	})
}
