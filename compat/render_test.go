package compat

import (
	"bytes"
	"strings"
	"testing"
)

// A password Java 3.9.3 sent for session 0x10000c36c0000 (read off the wire).
func TestJavaPassword(t *testing.T) {
	got := JavaPassword(72057646497202176)
	want := []byte{21, 102, 245, 144, 126, 134, 36, 80, 123, 67, 139, 216, 247, 133, 242, 198}
	if !bytes.Equal(got, want) {
		t.Fatalf("JavaPassword = %v, want %v", got, want)
	}
}

func TestDigest(t *testing.T) {
	// zkCli's well-known example: super:test.
	if got, want := Digest("super:test"), "super:D/InIHSb7yEEbrWz8b9l71RjZJU="; got != want {
		t.Fatalf("Digest = %q, want %q", got, want)
	}
}

func TestZxidNormalisation(t *testing.T) {
	n := norm{}
	for _, c := range []struct {
		z    int64
		want string
	}{{0, "0"}, {-1, "-1"}, {100, "Z0"}, {103, "Z3"}, {99, "Zpre"}, {100, "Z0"}} {
		if got := n.zxid(c.z); got != c.want {
			t.Errorf("zxid(%d) = %q, want %q", c.z, got, c.want)
		}
	}
}

func TestDiff(t *testing.T) {
	if d := Diff([]string{"a", "b"}, []string{"a", "b"}); d != "" {
		t.Fatalf("equal inputs: diff %q", d)
	}
	a := strings.Split("1 2 3 4 5 6 7 8 9 10 11 12", " ")
	b := strings.Split("1 2 3 4 5 x 7 8 9 10 11 12 13", " ")
	want := " 3\n 4\n 5\n-6\n+x\n 7\n 8\n 9\n 10\n 11\n 12\n+13\n"
	if d := Diff(a, b); d != want {
		t.Fatalf("Diff =\n%s\nwant\n%s", d, want)
	}
}

func TestDiffHunks(t *testing.T) {
	a := strings.Split("a b c d e f g h i j k l m n", " ")
	b := strings.Split("A b c d e f g h i j k l m N", " ")
	want := "-a\n+A\n b\n c\n d\n@@\n k\n l\n m\n-n\n+N\n"
	if d := Diff(a, b); d != want {
		t.Fatalf("Diff =\n%s\nwant\n%s", d, want)
	}
}
