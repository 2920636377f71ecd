package goldens

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// File is one golden file: the cases one ZooKeeper version wrote for one record.
type File struct {
	Path    string
	Version string  // "3.9.3"
	Module  string  // from the file name: data, proto, txn, quorum, persistence or wire
	Record  string  // our schema's name (MultiOperationRecord, MultiResponse for wire)
	Java    string  // the Java class that wrote the bytes
	Fields  []Field // the Java class's fields in wire order (none for wire records)
	Cases   []Case
}

// Field is one "field" line: a field of the Java class and its Jute type.
type Field struct {
	Name string
	Type string // int, long, boolean, byte, buffer, ustring, vector<T>, or a record name
}

// Case is one case of a file: Java's field values and the bytes it serialized them to.
type Case struct {
	Name   string
	Values []Value
	Bytes  []byte
	Line   int // line of "case" in the file
}

// Value is one `key = value` line of a case.
type Value struct {
	Key  string
	Raw  string
	Line int
}

// Get returns the raw value of key.
func (c *Case) Get(key string) (string, bool) {
	for _, v := range c.Values {
		if v.Key == key {
			return v.Raw, true
		}
	}
	return "", false
}

// Load reads every golden file below dir (dir/<version>/*.txt), sorted by version, then name.
func Load(dir string) ([]File, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*", "*.txt"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("goldens: no golden files under %s", dir)
	}
	slices.Sort(paths)
	files := make([]File, 0, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		f, err := Parse(p, data)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// Parse reads one golden file; name is its path (the module and record come from it).
func Parse(name string, data []byte) (File, error) {
	f := File{Path: name}
	base := strings.TrimSuffix(filepath.Base(name), ".txt")
	mod, rec, ok := strings.Cut(base, ".")
	if !ok {
		return f, fmt.Errorf("%s: file name is not <module>.<Record>.txt", name)
	}
	f.Module = mod
	var (
		cur     *Case
		inBytes bool
		want    int
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		trim := strings.TrimSpace(text)
		fail := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...))
		}
		if trim == "" || strings.HasPrefix(trim, "#") {
			continue
		}
		word, rest, _ := strings.Cut(trim, " ")
		switch {
		case inBytes && word != "end":
			_, dump, ok := strings.Cut(trim, ":")
			if !ok {
				return f, fail("hex line without offset")
			}
			b, err := hex.DecodeString(strings.ReplaceAll(dump, " ", ""))
			if err != nil {
				return f, fail("hex: %v", err)
			}
			cur.Bytes = append(cur.Bytes, b...)
		case inBytes: // end
			if len(cur.Bytes) != want {
				return f, fail("case %s: %d bytes, header says %d", cur.Name, len(cur.Bytes), want)
			}
			f.Cases = append(f.Cases, *cur)
			cur, inBytes = nil, false
		case cur != nil && word == "bytes":
			n, err := strconv.Atoi(rest)
			if err != nil {
				return f, fail("bytes: %v", err)
			}
			want, inBytes = n, true
			cur.Bytes = make([]byte, 0, n)
		case cur != nil:
			k, v, ok := strings.Cut(trim, " = ")
			if !ok {
				return f, fail("want `key = value`, have %q", trim)
			}
			if _, dup := cur.Get(k); dup {
				return f, fail("key %s given twice", k)
			}
			cur.Values = append(cur.Values, Value{Key: k, Raw: v, Line: line})
		case word == "version":
			f.Version = rest
		case word == "record":
			f.Record = rest
		case word == "java":
			f.Java = rest
		case word == "field":
			n, t, ok := strings.Cut(rest, " ")
			if !ok {
				return f, fail("want `field <name> <type>`")
			}
			f.Fields = append(f.Fields, Field{Name: n, Type: t})
		case word == "case":
			cur = &Case{Name: rest, Line: line}
		default:
			return f, fail("cannot parse %q", trim)
		}
	}
	if err := sc.Err(); err != nil {
		return f, fmt.Errorf("%s: %v", name, err)
	}
	switch {
	case cur != nil:
		return f, fmt.Errorf("%s: case %s has no end", name, cur.Name)
	case f.Version == "" || f.Record == "" || f.Java == "":
		return f, fmt.Errorf("%s: version, record and java lines are required", name)
	case f.Record != rec:
		return f, fmt.Errorf("%s: record %s does not match the file name", name, f.Record)
	case filepath.Base(filepath.Dir(name)) != f.Version:
		return f, fmt.Errorf("%s: version %s does not match the folder", name, f.Version)
	case len(f.Cases) == 0:
		return f, fmt.Errorf("%s: no cases", name)
	}
	return f, nil
}

// IsNull reports whether raw is the null marker.
func IsNull(raw string) bool { return raw == "null" }

// Buffer parses a buffer value: nil for null, non-nil (maybe empty) otherwise.
func Buffer(raw string) ([]byte, error) {
	if IsNull(raw) {
		return nil, nil
	}
	h, ok := strings.CutPrefix(raw, "hex:")
	if !ok {
		return nil, fmt.Errorf("buffer %q: want hex:... or null", raw)
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("buffer %q: %v", raw, err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// String parses a quoted ustring value and returns the bytes Java's writer puts on the wire
// for it (see JavaUTF8).
func String(raw string) (string, error) {
	units, rest, err := unquote(raw)
	if err != nil {
		return "", err
	}
	if rest != "" {
		return "", fmt.Errorf("string %q: trailing %q", raw, rest)
	}
	return JavaUTF8(units), nil
}

// Strings parses a vector<ustring> value: nil for null, non-nil (maybe empty) otherwise.
func Strings(raw string) ([]string, error) {
	if IsNull(raw) {
		return nil, nil
	}
	s, ok := strings.CutPrefix(raw, "[")
	if !ok {
		return nil, fmt.Errorf("string list %q: want [...] or null", raw)
	}
	out := []string{}
	for {
		if s == "]" {
			return out, nil
		}
		if len(out) > 0 {
			var ok bool
			if s, ok = strings.CutPrefix(s, ", "); !ok {
				return nil, fmt.Errorf("string list %q: want \", \" between elements", raw)
			}
		}
		units, rest, err := unquote(s)
		if err != nil {
			return nil, fmt.Errorf("string list %q: %v", raw, err)
		}
		out = append(out, JavaUTF8(units))
		s = rest
	}
}

// Count parses the `[n]` length of a vector of records; null gives -1.
func Count(raw string) (int, error) {
	if IsNull(raw) {
		return -1, nil
	}
	s, ok := strings.CutPrefix(raw, "[")
	if s, ok2 := strings.CutSuffix(s, "]"); ok && ok2 {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			return n, nil
		}
	}
	return 0, fmt.Errorf("vector %q: want [n] or null", raw)
}

// unquote reads one double-quoted string from the front of s as UTF-16 units.
func unquote(s string) (units []uint16, rest string, err error) {
	if !strings.HasPrefix(s, `"`) {
		return nil, "", fmt.Errorf("want a quoted string at %q", s)
	}
	i := 1
	units = []uint16{}
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return units, s[i+1:], nil
		case c == '\\' && i+1 < len(s):
			esc := s[i+1]
			i += 2
			switch esc {
			case '"', '\\':
				units = append(units, uint16(esc))
			case 'n':
				units = append(units, '\n')
			case 'r':
				units = append(units, '\r')
			case 't':
				units = append(units, '\t')
			case 'u':
				if i+4 > len(s) {
					return nil, "", fmt.Errorf("short \\u escape in %q", s)
				}
				v, err := strconv.ParseUint(s[i:i+4], 16, 16)
				if err != nil {
					return nil, "", fmt.Errorf("bad \\u escape in %q", s)
				}
				units = append(units, uint16(v))
				i += 4
			default:
				return nil, "", fmt.Errorf("unknown escape \\%c in %q", esc, s)
			}
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n <= 1 {
				return nil, "", fmt.Errorf("invalid UTF-8 in %q", s)
			}
			units = utf16.AppendRune(units, r)
			i += n
		}
	}
	return nil, "", fmt.Errorf("unterminated string %q", s)
}

// JavaUTF8 encodes UTF-16 units the way Java's BinaryOutputArchive.writeString does: each unit
// on its own as 1, 2 or 3 bytes, so a surrogate pair becomes two 3-byte sequences (CESU-8),
// where standard UTF-8 has one 4-byte sequence. For strings within the BMP the two agree.
func JavaUTF8(units []uint16) string {
	b := make([]byte, 0, len(units))
	for _, u := range units {
		switch {
		case u < 0x80:
			b = append(b, byte(u))
		case u < 0x800:
			b = append(b, 0xc0|byte(u>>6), 0x80|byte(u&0x3f))
		default:
			b = append(b, 0xe0|byte(u>>12), 0x80|byte(u>>6&0x3f), 0x80|byte(u&0x3f))
		}
	}
	return string(b)
}

// Int parses a decimal value of the given bit size.
func Int(raw string, bits int) (int64, error) {
	v, err := strconv.ParseInt(raw, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("number %q: %v", raw, err)
	}
	return v, nil
}

// Bool parses true or false.
func Bool(raw string) (bool, error) {
	switch raw {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("boolean %q: want true or false", raw)
}

// CompareVersions compares dotted release numbers ("3.4.13" < "3.5" < "3.9.3"); a missing
// component counts as 0.
func CompareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}
