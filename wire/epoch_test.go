package wire

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestEpochFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, CurrentEpochFile)
	if _, err := ReadEpochFile(p); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	for _, e := range []int64{0, 5, 1 << 40} {
		if err := WriteEpochFile(p, e); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		if string(b) != string(AppendEpoch(nil, e)) {
			t.Fatalf("content %q", b)
		}
		if got, err := ReadEpochFile(p); err != nil || got != e {
			t.Fatalf("read %d, %v; want %d", got, err, e)
		}
	}
	if _, err := os.Stat(p + ".tmp"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("temp file left: %v", err)
	}
	for in, want := range map[string]int64{"7": 7, "7\n": 7, " 12 \r\nx": 12, "-1": -1} {
		if got, err := ParseEpoch([]byte(in)); err != nil || got != want {
			t.Errorf("%q: %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "x", "1.5", "\n5"} {
		if _, err := ParseEpoch([]byte(in)); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}
