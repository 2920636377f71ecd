// Command gen turns zkgo's Jute schema (jute/schema/zookeeper.jute.txt) into Go record types
// with straight-line Size, Append and Decode methods (no reflection).
//
//	go run ./jute/gen -schema jute/schema/zookeeper.jute.txt -out jute/records/records_gen.go [-check]
//
// With -check it writes nothing and exits 1 when the file on disk differs from what it would
// generate (a stale generated file).
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"strings"
	"unicode"
)

type field struct {
	name, typ, since string
}

type record struct {
	name, module, since, until string
	comment                    []string
	fields                     []field
}

func main() {
	schema := flag.String("schema", "jute/schema/zookeeper.jute.txt", "schema file")
	out := flag.String("out", "jute/records/records_gen.go", "output Go file")
	check := flag.Bool("check", false, "fail if the output file is stale instead of writing it")
	flag.Parse()
	recs, err := parse(*schema)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	src, err := generate(recs, *schema)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if *check {
		old, err := os.ReadFile(*out)
		if err != nil || !bytes.Equal(old, src) {
			fmt.Fprintf(os.Stderr, "gen: %s is stale; run 'make generate'\n", *out)
			os.Exit(1)
		}
		return
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func parse(path string) ([]*record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		recs    []*record
		cur     *record
		module  string
		comment []string
		byName  = map[string]bool{}
	)
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		where := fmt.Sprintf("%s:%d", path, line)
		if text == "" {
			comment = nil
			continue
		}
		if strings.HasPrefix(text, "#") {
			comment = append(comment, strings.TrimSpace(strings.TrimPrefix(text, "#")))
			continue
		}
		w := strings.Fields(text)
		switch {
		case w[0] == "module" && len(w) == 2 && cur == nil:
			module = w[1]
		case w[0] == "record" && cur == nil:
			if len(w) < 2 || module == "" {
				return nil, fmt.Errorf("%s: record needs a name inside a module", where)
			}
			cur = &record{name: w[1], module: module, comment: comment}
			for i := 2; i+1 < len(w); i += 2 {
				switch w[i] {
				case "since":
					cur.since = w[i+1]
				case "until":
					cur.until = w[i+1]
				default:
					return nil, fmt.Errorf("%s: unknown record option %q", where, w[i])
				}
			}
		case w[0] == "end" && cur != nil:
			if byName[cur.name] {
				return nil, fmt.Errorf("%s: record %s defined twice", where, cur.name)
			}
			byName[cur.name] = true
			recs = append(recs, cur)
			cur = nil
		case cur != nil && (len(w) == 2 || len(w) == 4 && w[2] == "since"):
			fd := field{name: w[0], typ: w[1]}
			if len(w) == 4 {
				fd.since = w[3]
			}
			cur.fields = append(cur.fields, fd)
		default:
			return nil, fmt.Errorf("%s: cannot parse %q", where, text)
		}
		comment = nil
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil {
		return nil, fmt.Errorf("%s: record %s has no end", path, cur.name)
	}
	for _, r := range recs {
		for _, fd := range r.fields {
			t := fd.typ
			if strings.HasPrefix(t, "vector<") && strings.HasSuffix(t, ">") {
				t = t[len("vector<") : len(t)-1]
			}
			if !primitive(t) && !byName[t] {
				return nil, fmt.Errorf("%s.%s: unknown type %q", r.name, fd.name, fd.typ)
			}
		}
	}
	return recs, nil
}

func primitive(t string) bool {
	switch t {
	case "byte", "boolean", "int", "long", "buffer", "ustring":
		return true
	}
	return false
}

var fixedSize = map[string]int{"byte": 1, "boolean": 1, "int": 4, "long": 8}

var goPrim = map[string]string{
	"byte": "byte", "boolean": "bool", "int": "int32", "long": "int64",
	"buffer": "[]byte", "ustring": "string",
}

// goName turns a schema name into an exported Go name with Go initialisms.
func goName(s string) string {
	switch s {
	case "id", "Id":
		return "ID"
	case "serverid":
		return "ServerID"
	case "dbid":
		return "DBID"
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	n := string(r)
	if strings.HasSuffix(n, "Id") {
		n = strings.TrimSuffix(n, "Id") + "ID"
	}
	if n == "Acl" {
		n = "ACL"
	}
	return n
}

func goType(t string) string {
	if strings.HasPrefix(t, "vector<") {
		return "[]" + goType(t[len("vector<"):len(t)-1])
	}
	if g, ok := goPrim[t]; ok {
		return g
	}
	return goName(t)
}

type gen struct {
	buf   bytes.Buffer
	byRec map[string]*record
}

func (g *gen) p(format string, args ...any) { fmt.Fprintf(&g.buf, format+"\n", args...) }

// fixed returns the constant encoded size of a type, or -1 when it varies.
func (g *gen) fixed(t string) int {
	if n, ok := fixedSize[t]; ok {
		return n
	}
	if r, ok := g.byRec[t]; ok {
		total := 0
		for _, f := range r.fields {
			n := g.fixed(f.typ)
			if n < 0 {
				return -1
			}
			total += n
		}
		return total
	}
	return -1
}

// minSize is the smallest encoded size of a type (used to bound vector allocations).
func (g *gen) minSize(t string) int {
	if n, ok := fixedSize[t]; ok {
		return n
	}
	switch {
	case t == "buffer" || t == "ustring" || strings.HasPrefix(t, "vector<"):
		return 4
	}
	total := 0
	for _, f := range g.byRec[t].fields {
		total += g.minSize(f.typ)
	}
	return total
}

func generate(recs []*record, schemaPath string) ([]byte, error) {
	g := &gen{byRec: map[string]*record{}}
	for _, r := range recs {
		g.byRec[r.name] = r
	}
	g.p("// Code generated by jute/gen from %s. DO NOT EDIT.", schemaPath)
	g.p("")
	g.p("package records")
	g.p("")
	g.p("import (")
	g.p("\t\"github.com/zkgo/zkgo/jute\"")
	g.p(")")
	for _, r := range recs {
		g.record(r)
	}
	g.registry(recs)
	src, err := format.Source(g.buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting generated code: %v\n%s", err, g.buf.Bytes())
	}
	return src, nil
}

func (g *gen) record(r *record) {
	name := goName(r.name)
	g.p("")
	g.p("// %s is the Jute record %s (module %s).", name, r.name, r.module)
	for _, c := range r.comment {
		g.p("// %s", c)
	}
	g.p("type %s struct {", name)
	for _, f := range r.fields {
		g.p("\t%s %s // %s %s", goName(f.name), goType(f.typ), f.name, f.typ)
	}
	g.p("}")

	// Size
	g.p("")
	g.p("// Size returns the encoded size of r in bytes.")
	if n := g.fixed(r.name); n >= 0 {
		g.p("func (r *%s) Size() int { return %d }", name, n)
	} else {
		g.p("func (r *%s) Size() int {", name)
		fixed := 0
		var parts []string
		for _, f := range r.fields {
			fn := "r." + goName(f.name)
			if n := g.fixed(f.typ); n >= 0 {
				fixed += n
				continue
			}
			switch {
			case f.typ == "buffer":
				parts = append(parts, fmt.Sprintf("n += len(%s)", fn))
				fixed += 4
			case f.typ == "ustring":
				parts = append(parts, fmt.Sprintf("n += len(%s)", fn))
				fixed += 4
			case f.typ == "vector<ustring>":
				parts = append(parts, fmt.Sprintf("n += jute.StringsSize(%s)", fn))
			case strings.HasPrefix(f.typ, "vector<"):
				et := f.typ[len("vector<") : len(f.typ)-1]
				fixed += 4
				if en := g.fixed(et); en >= 0 {
					parts = append(parts, fmt.Sprintf("n += %d * len(%s)", en, fn))
				} else {
					parts = append(parts, fmt.Sprintf("for i := range %s {\nn += %s[i].Size()\n}", fn, fn))
				}
			default:
				parts = append(parts, fmt.Sprintf("n += %s.Size()", fn))
			}
		}
		g.p("\tn := %d", fixed)
		for _, s := range parts {
			g.p("\t%s", s)
		}
		g.p("\treturn n")
		g.p("}")
	}

	// Append
	g.p("")
	g.p("// Append encodes r onto b.")
	g.p("func (r *%s) Append(b []byte) []byte {", name)
	for _, f := range r.fields {
		fn := "r." + goName(f.name)
		g.appendField(fn, f.typ, "b")
	}
	g.p("\treturn b")
	g.p("}")

	// Decode
	g.p("")
	g.p("// Decode reads r's fields from d.")
	g.p("func (r *%s) Decode(d *jute.Decoder) (err error) {", name)
	for _, f := range r.fields {
		fn := "r." + goName(f.name)
		wrap := fmt.Sprintf("return jute.FieldErr(%q, %q, err)", r.name, f.name)
		g.decodeField(fn, f.typ, wrap)
	}
	g.p("\treturn nil")
	g.p("}")
}

func (g *gen) appendField(fn, typ, b string) {
	switch typ {
	case "byte":
		g.p("\t%s = jute.AppendByte(%s, %s)", b, b, fn)
	case "boolean":
		g.p("\t%s = jute.AppendBool(%s, %s)", b, b, fn)
	case "int":
		g.p("\t%s = jute.AppendInt(%s, %s)", b, b, fn)
	case "long":
		g.p("\t%s = jute.AppendLong(%s, %s)", b, b, fn)
	case "buffer":
		g.p("\t%s = jute.AppendBuffer(%s, %s)", b, b, fn)
	case "ustring":
		g.p("\t%s = jute.AppendString(%s, %s)", b, b, fn)
	case "vector<ustring>":
		g.p("\t%s = jute.AppendStrings(%s, %s)", b, b, fn)
	default:
		if strings.HasPrefix(typ, "vector<") {
			et := typ[len("vector<") : len(typ)-1]
			g.p("\t%s = jute.AppendVectorLen(%s, len(%s), %s == nil)", b, b, fn, fn)
			g.p("\tfor i := range %s {", fn)
			g.appendField(fn+"[i]", et, b)
			g.p("\t}")
			return
		}
		g.p("\t%s = %s.Append(%s)", b, fn, b)
	}
}

func (g *gen) decodeField(fn, typ, wrap string) {
	simple := map[string]string{
		"byte": "Byte", "boolean": "Bool", "int": "Int", "long": "Long",
		"buffer": "Buffer", "ustring": "String", "vector<ustring>": "Strings",
	}
	if m, ok := simple[typ]; ok {
		g.p("\tif %s, err = d.%s(); err != nil {\n%s\n}", fn, m, wrap)
		return
	}
	if strings.HasPrefix(typ, "vector<") {
		et := typ[len("vector<") : len(typ)-1]
		g.p("\t{")
		g.p("\tn, err := d.VectorLen(%d)", g.minSize(et))
		g.p("\tif err != nil {\n%s\n}", wrap)
		g.p("\tif n < 0 {\n%s = nil\n} else {", fn)
		g.p("\t%s = make(%s, n)", fn, goType(typ))
		g.p("\tfor i := range %s {", fn)
		if m, ok := simple[et]; ok {
			g.p("\tif %s[i], err = d.%s(); err != nil {\n%s\n}", fn, m, wrap)
		} else {
			g.p("\tif err = %s[i].Decode(d); err != nil {\n%s\n}", fn, wrap)
		}
		g.p("\t}")
		g.p("\t}")
		g.p("\t}")
		return
	}
	g.p("\tif err = %s.Decode(d); err != nil {\n%s\n}", fn, wrap)
}

func (g *gen) registry(recs []*record) {
	g.p("")
	g.p("// All describes every record of the schema, in schema order.")
	g.p("var All = []Info{")
	for _, r := range recs {
		g.p("\t{Name: %q, Module: %q, Since: %q, Until: %q, New: func() jute.Record { return new(%s) }, Fields: []Field{", r.name, r.module, r.since, r.until, goName(r.name))
		for _, f := range r.fields {
			g.p("\t\t{Name: %q, Type: %q, Since: %q},", f.name, f.typ, f.since)
		}
		g.p("\t}},")
	}
	g.p("}")
}
