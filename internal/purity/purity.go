// Package purity checks that a pure core (design.md, "Pure cores, I/O shell") imports no
// network, files, clocks, goroutine synchronisation or global randomness.
package purity

import (
	"os/exec"
	"strings"
	"testing"
)

// Banned are the import paths (and their subpackages) a pure core may not use.
var Banned = []string{"net", "os", "time", "sync", "math/rand", "math/rand/v2", "crypto/rand", "syscall", "io/fs", "unsafe", "runtime"}

// Check fails t for every banned direct import of the package in the current directory.
func Check(t *testing.T) {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	f := strings.Fields(string(out))
	for _, imp := range f[1:] {
		for _, b := range Banned {
			if imp == b || strings.HasPrefix(imp, b+"/") {
				t.Errorf("%s imports %s", f[0], imp)
			}
		}
	}
}
