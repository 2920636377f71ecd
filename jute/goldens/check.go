package goldens

import (
	"bytes"
	"fmt"
	"reflect"
)

// The helpers below serve the tests and fuzz targets of the codec packages (jute/records,
// wire); they are not used by any server code, which is why reflection is acceptable here.

// CheckReencoded reports whether enc, the re-encoding of a value decoded from in, reproduces
// in. The two must have the same length and the same bytes except where Java's reader is
// lenient and so is ours: a boolean byte other than 0 and 1 (read as true, written as 1), and
// the length -1 of a null ustring (read as "", written as 0, counted in
// jute.Decoder.NullStrings). skip, when not nil, marks further positions allowed to differ
// (for example the err field of a multi header, which no reader looks at).
func CheckReencoded(in, enc []byte, nullStrings int, skip func(i int) bool) error {
	if len(in) != len(enc) {
		return fmt.Errorf("re-encoded %d bytes, consumed %d\n in: %x\nout: %x", len(enc), len(in), in, enc)
	}
	nulls := 0
	for i := 0; i < len(in); i++ {
		switch {
		case in[i] == enc[i], skip != nil && skip(i):
		case in[i] > 1 && enc[i] == 1: // a loose boolean
		case i+4 <= len(in) && bytes.Equal(in[i:i+4], []byte{0xff, 0xff, 0xff, 0xff}) &&
			bytes.Equal(enc[i:i+4], []byte{0, 0, 0, 0}) && nulls < nullStrings:
			nulls++
			i += 3
		default:
			return fmt.Errorf("re-encoding differs at offset %d: %#02x, input has %#02x\n in: %x\nout: %x", i, enc[i], in[i], in, enc)
		}
	}
	if nulls != nullStrings {
		return fmt.Errorf("decoder counted %d null strings, the re-encoding differs at %d", nullStrings, nulls)
	}
	return nil
}

// CheckLimits walks a decoded value and reports a buffer, string or slice longer than max
// (jute.maxbuffer), or more slice elements in all than the frame had bytes: a decoder must
// never allocate past its limit or past what the input can hold.
func CheckLimits(v any, max, frameLen int) error {
	elems := 0
	if err := walk(reflect.ValueOf(v), max, &elems, "value"); err != nil {
		return err
	}
	if elems > frameLen {
		return fmt.Errorf("%d slice elements decoded from a %d-byte frame", elems, frameLen)
	}
	return nil
}

func walk(v reflect.Value, max int, elems *int, where string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return walk(v.Elem(), max, elems, where)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if err := walk(v.Field(i), max, elems, where+"."+v.Type().Field(i).Name); err != nil {
				return err
			}
		}
	case reflect.String:
		if v.Len() > max {
			return fmt.Errorf("%s: string of %d bytes exceeds the limit %d", where, v.Len(), max)
		}
	case reflect.Slice:
		if v.Len() > max {
			return fmt.Errorf("%s: %d elements exceed the limit %d", where, v.Len(), max)
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil
		}
		*elems += v.Len()
		for i := 0; i < v.Len(); i++ {
			if err := walk(v.Index(i), max, elems, fmt.Sprintf("%s[%d]", where, i)); err != nil {
				return err
			}
		}
	}
	return nil
}
