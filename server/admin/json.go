package admin

import (
	"math"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Obj is a JSON object that keeps insertion order, like the LinkedHashMap behind Java's
// CommandResponse. Put on an existing key replaces the value in place.
type Obj []Field

// Field is one key of an Obj.
type Field struct {
	Key string
	Val any
}

// Put sets key to v, keeping the key's position if it is already there.
func (o *Obj) Put(key string, v any) {
	for i := range *o {
		if (*o)[i].Key == key {
			(*o)[i].Val = v
			return
		}
	}
	*o = append(*o, Field{key, v})
}

// Get returns the value of key.
func (o Obj) Get(key string) (any, bool) {
	for _, f := range o {
		if f.Key == key {
			return f.Val, true
		}
	}
	return nil, false
}

// Has reports whether key is set.
func (o Obj) Has(key string) bool { _, ok := o.Get(key); return ok }

// sortedMap turns a Go map into an Obj with its keys in order (Java's TreeMap, and a stable
// stand-in for HashMap order).
func sortedMap[V any](m map[string]V) Obj {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	o := make(Obj, 0, len(keys))
	for _, k := range keys {
		o = append(o, Field{k, m[k]})
	}
	return o
}

// MarshalJackson writes v the way Jackson's ObjectMapper with INDENT_OUTPUT does (the
// AdminServer's JsonOutputter): objects one field per line, indented by two spaces per level,
// "key" : value; arrays inline as [ a, b ]; empty ones as { } and [ ]; no final newline.
// Supported values: nil, bool, string, the integer types, float64 (as Java's
// Double.toString), Obj, []any, []string, []int64, map[string]V (sorted keys).
func MarshalJackson(v any) []byte {
	var b []byte
	return appendJSON(b, v, 0)
}

func appendJSON(b []byte, v any, nest int) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		return appendJSONString(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			// Jackson writes non-finite doubles as quoted strings.
			return appendJSONString(b, JavaDouble(x))
		}
		return append(b, JavaDouble(x)...)
	case Obj:
		if len(x) == 0 {
			return append(b, "{ }"...)
		}
		b = append(b, '{')
		for i, f := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '\n')
			b = appendIndent(b, nest+1)
			b = appendJSONString(b, f.Key)
			b = append(b, " : "...)
			b = appendJSON(b, f.Val, nest+1)
		}
		b = append(b, '\n')
		b = appendIndent(b, nest)
		return append(b, '}')
	case []any:
		if len(x) == 0 {
			return append(b, "[ ]"...)
		}
		b = append(b, "[ "...)
		for i, e := range x {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendJSON(b, e, nest)
		}
		return append(b, " ]"...)
	case []string:
		a := make([]any, len(x))
		for i := range x {
			a[i] = x[i]
		}
		return appendJSON(b, a, nest)
	case []int64:
		a := make([]any, len(x))
		for i := range x {
			a[i] = x[i]
		}
		return appendJSON(b, a, nest)
	case []Obj:
		a := make([]any, len(x))
		for i := range x {
			a[i] = x[i]
		}
		return appendJSON(b, a, nest)
	case map[string]string:
		return appendJSON(b, sortedMap(x), nest)
	case map[string]any:
		return appendJSON(b, sortedMap(x), nest)
	}
	return appendJSONString(b, "unsupported value")
}

func appendIndent(b []byte, nest int) []byte {
	for i := 0; i < nest; i++ {
		b = append(b, "  "...)
	}
	return b
}

// appendJSONString quotes s as Jackson does: ", \ and control characters escaped (\n, \t,
// \r, \b, \f, else \u00XX); everything else, '/' and non-ASCII included, as is.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x80 {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\\ufffd"...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		default:
			if c < 0x20 {
				b = append(b, `\u00`...)
				b = append(b, "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
			} else {
				b = append(b, c)
			}
		}
		i++
	}
	return append(b, '"')
}
