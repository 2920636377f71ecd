package election

import (
	"os/exec"
	"strings"
	"testing"
)

// The election core is pure (design.md, "Pure cores, I/O shell"): no network, files, clocks,
// goroutine synchronisation or global randomness of its own.
func TestPureImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	banned := []string{"net", "os", "time", "sync", "math/rand", "math/rand/v2", "crypto/rand", "syscall", "io/fs", "unsafe", "runtime"}
	for _, imp := range strings.Fields(string(out)) {
		for _, b := range banned {
			if imp == b || strings.HasPrefix(imp, b+"/") {
				t.Errorf("server/election imports %s", imp)
			}
		}
	}
}
