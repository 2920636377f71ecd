package goldens

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// Versions are the ZooKeeper releases with goldens; the last one is the schema's own.
var versions = []string{"3.4.13", "3.8.0", "3.9.3"}

const current = "3.9.3"

// notInSchema lists records Java has and our schema leaves out, with the reason.
var notInSchema = map[string]string{
	"StatPersistedV1": "3.4 only, removed in 3.5; an old snapshot node format no supported release writes",
}

// noJavaClass lists schema records that have no Java record class before some version.
var noJavaClass = map[string]string{
	// 3.5-3.8: ContainerManager hands the leader's pipeline the raw UTF-8 path, without a
	// length; 3.9 added the DeleteContainerRequest class (length-prefixed, as our schema).
	"DeleteContainerRequest": "3.9",
}

// olderThanSchema lists records a version has although the schema's "since" is later.
var olderThanSchema = map[string]string{
	// SASL quorum authentication (ZOOKEEPER-1045) reached the 3.4 line too (3.4.13 has it);
	// the schema's "since 3.5" names the 3.5 line.
	"QuorumAuthPacket": "3.4.13",
}

func loadAll(t *testing.T) []File {
	t.Helper()
	files, err := Load("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestGolden(t *testing.T) {
	files := loadAll(t)
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			for _, f := range files {
				if _, skip := notInSchema[f.Record]; f.Version != v || skip {
					continue // records outside the schema: TestGoldenCoverage
				}
				t.Run(f.Record, func(t *testing.T) {
					for _, c := range f.Cases {
						t.Run(c.Name, func(t *testing.T) {
							if err := checkCase(f, c); err != nil {
								t.Errorf("%s:%d: %v", f.Path, c.Line, err)
							}
						})
					}
				})
			}
		})
	}
}

func checkCase(f File, c Case) error {
	switch f.Record {
	case "MultiOperationRecord":
		return checkMulti(f, c)
	case "MultiResponse":
		return checkMultiResponse(f, c)
	}
	info, ok := records.Lookup(f.Record)
	if !ok {
		if _, known := notInSchema[f.Record]; known {
			return nil // nothing of ours to compare with
		}
		return fmt.Errorf("Java record %s (%s) is not in our schema", f.Record, f.Java)
	}
	absent, err := checkFields(f, info)
	if err != nil {
		return err
	}
	want := info.New()
	b := &builder{c: &c, version: f.Version, used: map[string]bool{}}
	if err := b.fill(reflect.ValueOf(want).Elem(), info, ""); err != nil {
		return err
	}
	if err := b.unused(); err != nil {
		return err
	}
	if len(absent) > 0 {
		return checkOlder(f, info, want, c.Bytes, absent)
	}
	return checkRecord(info, want, c.Bytes)
}

// checkRecord decodes b as info's record, compares with want and re-encodes.
func checkRecord(info records.Info, want jute.Record, b []byte) error {
	decode := func(d *jute.Decoder) (jute.Record, error) {
		r := info.New()
		return r, r.Decode(d)
	}
	appendTo := func(b []byte, r jute.Record) []byte { return r.Append(b) }
	size := func(r jute.Record) int { return r.Size() }
	dump := func(r jute.Record) string { return fmt.Sprintf("\n  %#v", r) }
	return roundTrip(b, want, decode, appendTo, size, dump)
}

// checkFields compares the Java class's fields with the schema's: same names, types and order,
// except schema fields added after the golden's version (returned as absent).
func checkFields(f File, info records.Info) (absent []string, err error) {
	java := f.Fields
	for _, sf := range info.Fields {
		if len(java) > 0 && java[0].Name == sf.Name {
			if java[0].Type != sf.Type {
				return nil, fmt.Errorf("field %s: Java type %s, schema %s", sf.Name, java[0].Type, sf.Type)
			}
			java = java[1:]
			continue
		}
		if sf.Since == "" || CompareVersions(f.Version, sf.Since) >= 0 {
			return nil, fmt.Errorf("field %s (schema order) is not where Java has it; Java fields: %v", sf.Name, f.Fields)
		}
		absent = append(absent, sf.Name)
	}
	if len(java) > 0 {
		return nil, fmt.Errorf("Java fields %v are not in our schema", java)
	}
	return absent, nil
}

// checkOlder handles a golden from a version whose record lacks trailing fields our schema has
// (ConnectRequest/ConnectResponse.readOnly before 3.9, LearnerInfo.configVersion before 3.5).
// The generated decoder needs them, so the bytes are checked two ways: through the wire
// functions that accept the shorter form where there are such, and by decoding the bytes
// with the absent fields' zero encoding appended (the leading fields must round-trip exactly).
func checkOlder(f File, info records.Info, want jute.Record, b []byte, absent []string) error {
	full := jute.Marshal(want) // absent fields are zero in want
	if !bytes.Equal(full[:min(len(b), len(full))], b) {
		return fmt.Errorf("Go encodes the leading fields as\n  %x\nJava wrote\n  %x", full, b)
	}
	if err := checkRecord(info, want, full); err != nil {
		return fmt.Errorf("with the absent %v appended: %v", absent, err)
	}
	// Without the version-aware path the schema decoder reports the missing field.
	err := info.New().Decode(jute.NewDecoder(b))
	var fe *jute.FieldError
	if !errors.As(err, &fe) || !errors.Is(err, jute.ErrShort) || !strings.Contains(err.Error(), "."+absent[0]+":") {
		return fmt.Errorf("decoding %s bytes of %s: want a short-data error naming %s, got %v", f.Version, f.Record, absent[0], err)
	}
	switch w := want.(type) {
	case *records.ConnectRequest:
		req, hasReadOnly, err := wire.DecodeConnectRequest(b, jute.DefaultMaxBuffer)
		if err != nil || hasReadOnly || !reflect.DeepEqual(&req, w) {
			return fmt.Errorf("wire.DecodeConnectRequest = %+v, %v, %v; want %+v without readOnly", req, hasReadOnly, err, *w)
		}
	case *records.ConnectResponse:
		resp, hasReadOnly, err := wire.DecodeConnectResponse(b)
		if err != nil || hasReadOnly || !reflect.DeepEqual(&resp, w) {
			return fmt.Errorf("wire.DecodeConnectResponse = %+v, %v, %v; want %+v without readOnly", resp, hasReadOnly, err, *w)
		}
		if enc := wire.AppendConnectResponse(nil, &resp, false); !bytes.Equal(enc[4:], b) {
			return fmt.Errorf("wire.AppendConnectResponse without readOnly: %x, Java wrote %x", enc[4:], b)
		}
	}
	return nil
}

func checkMulti(f File, c Case) error {
	b := &builder{c: &c, version: f.Version, used: map[string]bool{}}
	n, err := b.count("ops")
	if err != nil {
		return err
	}
	var want []wire.MultiOp
	for i := range n {
		p := fmt.Sprintf("ops[%d].", i)
		typ, err := b.int(p+"type", 32)
		if err != nil {
			return err
		}
		op := wire.Op(typ)
		rec := wire.NewRequest(op)
		if rec == nil {
			return fmt.Errorf("%stype %s: no request record", p, op)
		}
		if err := b.fill(reflect.ValueOf(rec).Elem(), infoOf(rec), p); err != nil {
			return err
		}
		want = append(want, wire.MultiOp{Op: op, Record: rec})
	}
	if err := b.unused(); err != nil {
		return err
	}
	return roundTrip(c.Bytes, want, wire.DecodeMulti, wire.AppendMulti, wire.MultiSize, dumpOps)
}

// roundTrip decodes b with a hand-written wire decoder, compares with want and re-encodes.
func roundTrip[T any](b []byte, want T, decode func(*jute.Decoder) (T, error), appendTo func([]byte, T) []byte, size func(T) int, dump func(T) string) error {
	d := jute.NewDecoder(b)
	got, err := decode(d)
	if err != nil {
		return fmt.Errorf("decode: %v", err)
	}
	if d.Remaining() != 0 {
		return fmt.Errorf("decode left %d of %d bytes", d.Remaining(), len(b))
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("decoded %s\nwant    %s", dump(got), dump(want))
	}
	if enc := appendTo(nil, want); !bytes.Equal(enc, b) {
		return fmt.Errorf("Go encodes\n  %x\nJava wrote\n  %x", enc, b)
	}
	if n := size(want); n != len(b) {
		return fmt.Errorf("size %d, Java wrote %d bytes", n, len(b))
	}
	return nil
}

func checkMultiResponse(f File, c Case) error {
	b := &builder{c: &c, version: f.Version, used: map[string]bool{}}
	n, err := b.count("results")
	if err != nil {
		return err
	}
	var want []wire.MultiResult
	for i := range n {
		p := fmt.Sprintf("results[%d].", i)
		typ, err := b.int(p+"type", 32)
		if err != nil {
			return err
		}
		r := wire.MultiResult{Op: wire.Op(typ)}
		if r.Op == wire.OpError {
			code, err := b.int(p+"err", 32)
			if err != nil {
				return err
			}
			r.Err = wire.Code(code)
		} else if r.Record = wire.NewResponse(r.Op); r.Record != nil {
			if err := b.fill(reflect.ValueOf(r.Record).Elem(), infoOf(r.Record), p); err != nil {
				return err
			}
		}
		want = append(want, r)
	}
	if err := b.unused(); err != nil {
		return err
	}
	return roundTrip(c.Bytes, want, wire.DecodeMultiResponse, wire.AppendMultiResponse, wire.MultiResponseSize, dumpResults)
}

func dumpOps(ops []wire.MultiOp) string {
	var sb strings.Builder
	for _, o := range ops {
		fmt.Fprintf(&sb, "\n  %s %+v", o.Op, o.Record)
	}
	return sb.String()
}

func dumpResults(rs []wire.MultiResult) string {
	var sb strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&sb, "\n  %s err=%s %+v", r.Op, r.Err, r.Record)
	}
	return sb.String()
}

// infoOf finds the schema entry of a record value.
func infoOf(r jute.Record) records.Info {
	t := reflect.TypeOf(r)
	for _, i := range records.All {
		if reflect.TypeOf(i.New()) == t {
			return i
		}
	}
	panic(fmt.Sprintf("no records.Info for %T", r))
}

// builder fills a generated record from a case's field lines (tests may use reflection; the
// codecs do not). Struct field i of a generated type is schema field i.
type builder struct {
	c       *Case
	version string
	used    map[string]bool
}

func (b *builder) get(key string) (string, error) {
	raw, ok := b.c.Get(key)
	if !ok {
		return "", fmt.Errorf("no value for %s", key)
	}
	b.used[key] = true
	return raw, nil
}

func (b *builder) unused() error {
	for _, v := range b.c.Values {
		if !b.used[v.Key] {
			return fmt.Errorf("line %d: %s is not a field of our record", v.Line, v.Key)
		}
	}
	return nil
}

func (b *builder) int(key string, bits int) (int64, error) {
	raw, err := b.get(key)
	if err != nil {
		return 0, err
	}
	return Int(raw, bits)
}

func (b *builder) count(key string) (int, error) {
	raw, err := b.get(key)
	if err != nil {
		return 0, err
	}
	return Count(raw)
}

func (b *builder) fill(v reflect.Value, info records.Info, prefix string) error {
	if v.NumField() != len(info.Fields) {
		return fmt.Errorf("%s: Go struct has %d fields, schema %d", info.Name, v.NumField(), len(info.Fields))
	}
	for i, sf := range info.Fields {
		key := prefix + sf.Name
		_, nested := records.Lookup(sf.Type) // a nested record has no line of its own
		if _, ok := b.c.Get(key); !ok && !nested && sf.Since != "" && CompareVersions(b.version, sf.Since) < 0 {
			continue // the golden's version predates the field
		}
		if err := b.set(v.Field(i), sf.Type, key); err != nil {
			return fmt.Errorf("%s (%s): %v", key, sf.Type, err)
		}
	}
	return nil
}

func (b *builder) set(v reflect.Value, typ, key string) error {
	if et, ok := strings.CutPrefix(typ, "vector<"); ok {
		et = strings.TrimSuffix(et, ">")
		if et == "ustring" {
			raw, err := b.get(key)
			if err != nil {
				return err
			}
			s, err := Strings(raw)
			if err != nil {
				return err
			}
			v.Set(reflect.ValueOf(s))
			return nil
		}
		n, err := b.count(key)
		if err != nil || n < 0 {
			return err // null: leave the nil slice
		}
		info, ok := records.Lookup(et)
		if !ok {
			return fmt.Errorf("unknown element type %s", et)
		}
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			if err := b.fill(v.Index(i), info, fmt.Sprintf("%s[%d].", key, i)); err != nil {
				return err
			}
		}
		return nil
	}
	if info, ok := records.Lookup(typ); ok {
		return b.fill(v, info, key+".")
	}
	raw, err := b.get(key)
	if err != nil {
		return err
	}
	switch typ {
	case "int", "long":
		n, err := Int(raw, map[string]int{"int": 32, "long": 64}[typ])
		v.SetInt(n)
		return err
	case "byte":
		n, err := Int(raw, 8) // Java bytes are signed
		v.SetUint(uint64(uint8(n)))
		return err
	case "boolean":
		t, err := Bool(raw)
		v.SetBool(t)
		return err
	case "buffer":
		buf, err := Buffer(raw)
		v.Set(reflect.ValueOf(buf))
		return err
	case "ustring":
		if IsNull(raw) {
			return errors.New("null ustring: Go cannot reproduce it (see doc.go)")
		}
		s, err := String(raw)
		v.SetString(s)
		return err
	}
	return fmt.Errorf("unknown type %s", typ)
}

// TestGoldenCoverage checks that the goldens and the schema cover each other: every current
// record has a 3.9.3 golden (so a new schema record needs a golden), and each older version
// has goldens exactly for the records the schema says it has, save the listed exceptions.
func TestGoldenCoverage(t *testing.T) {
	have := map[string]map[string]bool{}
	for _, f := range loadAll(t) {
		if have[f.Version] == nil {
			have[f.Version] = map[string]bool{}
		}
		have[f.Version][f.Record] = true
	}
	for _, v := range versions {
		if len(have[v]) == 0 {
			t.Errorf("no goldens for %s", v)
			continue
		}
		for _, m := range []string{"MultiOperationRecord", "MultiResponse"} {
			if !have[v][m] {
				t.Errorf("%s: no golden for %s", v, m)
			}
		}
		for _, r := range records.All {
			exists := (r.Since == "" || CompareVersions(v, r.Since) >= 0) &&
				(r.Until == "" || CompareVersions(v, r.Until) <= 0)
			if since, ok := noJavaClass[r.Name]; ok && CompareVersions(v, since) < 0 {
				exists = false
			}
			switch {
			case exists && !have[v][r.Name]:
				t.Errorf("%s: no golden for %s (run make goldens; add a case to Goldens.java if Java lacks the class)", v, r.Name)
			case !exists && have[v][r.Name] && olderThanSchema[r.Name] != v:
				t.Errorf("%s: Java has %s, the schema says since %s until %s", v, r.Name, r.Since, r.Until)
			}
		}
		for rec := range have[v] {
			_, inSchema := records.Lookup(rec)
			_, excused := notInSchema[rec]
			if !inSchema && !excused && rec != "MultiOperationRecord" && rec != "MultiResponse" {
				t.Errorf("%s: golden for %s, which is neither in the schema nor in notInSchema", v, rec)
			}
		}
	}
	for _, r := range records.All {
		if r.Until == "" && !have[current][r.Name] {
			t.Errorf("record %s has no %s golden", r.Name, current)
		}
	}
}

// TestJavaUTF8 pins the one place Java's string bytes differ from Go's: characters outside
// the BMP, which Java writes as two 3-byte surrogate sequences.
func TestJavaUTF8(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{`"/zk/ünïcødé/日本"`, "/zk/ünïcødé/日本"},
		{`"a😀"`, "a\xed\xa0\xbd\xed\xb8\x80"},
		{`"\ud800x\"\\\n"`, "\xed\xa0\x80x\"\\\n"},
	} {
		got, err := String(tc.raw)
		if err != nil || got != tc.want {
			t.Errorf("String(%s) = %q, %v; want %q", tc.raw, got, err, tc.want)
		}
	}
}
