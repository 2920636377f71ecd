package storage

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/zkgo/zkgo/wire"
)

const (
	logPrefix     = "log"
	snapPrefix    = "snapshot"
	snapTmpPrefix = ".snapshot."
)

// dataFile is a log or snapshot file and the zxid its name carries.
type dataFile struct {
	path string
	name string
	zxid int64
}

// zxidFromName parses "<prefix>.<hex>[.anything]" as Java's Util.getZxidFromName does.
func zxidFromName(name, prefix string) (int64, bool) {
	parts := strings.Split(name, ".")
	if len(parts) < 2 || parts[0] != prefix {
		return 0, false
	}
	// Long.parseLong(s, 16): an optional sign, then hex digits, within the signed range.
	z, err := strconv.ParseInt(parts[1], 16, 64)
	if err != nil {
		return 0, false
	}
	return z, true
}

func logName(zxid int64) string  { return logPrefix + "." + strconv.FormatInt(zxid, 16) }
func snapName(zxid int64) string { return snapPrefix + "." + strconv.FormatInt(zxid, 16) }

// listFiles returns the files of dir named <prefix>.<hex zxid>..., sorted by zxid (ascending
// when asc, else descending; equal zxids by name).
func listFiles(dir, prefix string, asc bool) ([]dataFile, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	var fs []dataFile
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		if z, ok := zxidFromName(e.Name(), prefix); ok {
			fs = append(fs, dataFile{path: filepath.Join(dir, e.Name()), name: e.Name(), zxid: z})
		}
	}
	sort.Slice(fs, func(i, j int) bool {
		if fs[i].zxid != fs[j].zxid {
			return (fs[i].zxid < fs[j].zxid) == asc
		}
		return (fs[i].name < fs[j].name) == asc
	})
	return fs, nil
}

// logsFrom picks, from logs sorted ascending, the files that may hold txns >= zxid: the newest
// one starting at or before zxid and every later one (FileTxnLog.getLogFiles).
func logsFrom(logs []dataFile, zxid int64) []dataFile {
	start := 0
	for i, f := range logs {
		if f.zxid > zxid {
			break
		}
		start = i
	}
	return logs[start:]
}

// validSnapshot is Java's cheap SnapStream.isValidSnapshot: a plain snapshot is at least 10
// bytes and ends with int 1 and '/' (the seal's "/"); a gz or snappy one starts with its magic.
func validSnapshot(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	switch wire.CompressionOf(filepath.Base(path)) {
	case wire.CompressGzip:
		var b [2]byte
		_, err := io.ReadFull(f, b[:])
		return err == nil && b == [2]byte{0x1f, 0x8b}
	case wire.CompressSnappy:
		var b [8]byte
		_, err := io.ReadFull(f, b[:])
		return err == nil && bytes.Equal(b[:], []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0})
	}
	fi, err := f.Stat()
	if err != nil || fi.Size() < 10 {
		return false
	}
	var b [5]byte
	if _, err := f.ReadAt(b[:], fi.Size()-5); err != nil {
		return false
	}
	return b == [5]byte{0, 0, 0, 1, '/'}
}

// validSnapshots lists up to n valid snapshots, newest first.
func (s *Storage) validSnapshots(n int) ([]dataFile, error) {
	all, err := listFiles(s.snapDir, snapPrefix, false)
	if err != nil {
		return nil, err
	}
	var out []dataFile
	for _, f := range all {
		if len(out) == n {
			break
		}
		if validSnapshot(f.path) {
			out = append(out, f)
		} else {
			s.lg.Info("skipping invalid snapshot", "file", f.path)
		}
	}
	return out, nil
}
