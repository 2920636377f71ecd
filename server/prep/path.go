package prep

import (
	"strings"

	"github.com/zkgo/zkgo/wire"
)

// ValidatePath is ZooKeeper's PathUtils.validatePath: BADARGUMENTS unless the path is
// absolute, has no empty, "." or ".." segments, does not end in "/" (except the root), and
// holds no control or reserved characters.
func ValidatePath(path string) error {
	if path == "" || path[0] != '/' {
		return wire.ErrBadArguments
	}
	if path == "/" {
		return nil
	}
	if path[len(path)-1] == '/' {
		return wire.ErrBadArguments
	}
	for seg := range strings.SplitSeq(path[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return wire.ErrBadArguments
		}
	}
	for _, r := range path {
		switch {
		case r == 0,
			r > 0 && r < 0x20,
			r >= 0x7f && r <= 0x9f,
			r >= 0xd800 && r <= 0xf8ff,
			r >= 0xfff0 && r <= 0xffff:
			return wire.ErrBadArguments
		}
	}
	return nil
}
