package election

import (
	"testing"

	"github.com/zkgo/zkgo/internal/purity"
)

// The election core is pure (design.md, "Pure cores, I/O shell"): no network, files, clocks,
// goroutine synchronisation or global randomness of its own.
func TestPureImports(t *testing.T) { purity.Check(t) }
