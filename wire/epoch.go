package wire

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Epoch files (Q/QuorumPeer.java): `<dataDir>/version-2/currentEpoch` and `acceptedEpoch`
// hold one epoch as decimal ASCII with no newline, e.g. "5". Java writes them through
// AtomicFileWritingIdiom: the text goes to `<name>.tmp`, is fsynced, then renamed over the
// file. Java reads the first line and parses it as a long.

// Epoch file names inside version-2/.
const (
	CurrentEpochFile  = "currentEpoch"
	AcceptedEpochFile = "acceptedEpoch"
)

// AppendEpoch appends the file form of an epoch: decimal ASCII, no newline.
func AppendEpoch(b []byte, epoch int64) []byte { return strconv.AppendInt(b, epoch, 10) }

// ParseEpoch parses an epoch file's content. Like Java it reads the first line; surrounding
// spaces are tolerated.
func ParseEpoch(b []byte) (int64, error) {
	s := string(b)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("wire: epoch file: %q is not a number", string(b))
	}
	return v, nil
}

// ReadEpochFile reads an epoch file. A missing file gives an error matching fs.ErrNotExist.
func ReadEpochFile(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	v, err := ParseEpoch(b)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// WriteEpochFile replaces path atomically with epoch: it writes `<path>.tmp`, fsyncs it,
// renames it over path and fsyncs the directory, so a crash leaves the old or the new value.
func WriteEpochFile(path string, epoch int64) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(AppendEpoch(nil, epoch))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("wire: writing epoch file %s: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir fsyncs a directory, making renames and new files in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("wire: fsync directory %s: %w", dir, err)
	}
	return nil
}
