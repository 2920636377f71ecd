package storage

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/wire"
)

// Loader receives the database during Restore.
type Loader interface {
	// LoadSnapshot reads the snapshot whose name says zxid: r.Sessions, r.ACLs, then r.Next
	// until io.EOF (r.Finish is optional: Restore checks the seals if the loader did not).
	// It must replace any state from an earlier call: when a snapshot turns out corrupt,
	// Restore calls it again with an older one.
	LoadSnapshot(r *wire.SnapshotReader, zxid int64) error
	// ApplyTxn applies one logged txn, in zxid order, each zxid above the snapshot's. txn is
	// nil for a closeSession without body; digest is nil when the entry has none; raw is the
	// whole entry payload.
	ApplyTxn(hdr *records.TxnHeader, txn jute.Record, digest *records.TxnDigest, raw []byte) error
}

// maxEntry bounds log entries and snapshot buffers when reading: jute.maxbuffer plus Java's
// jute.maxbuffer.extrasize.
func (s *Storage) maxEntry() int { return s.opts.JuteMaxBuffer + 1024 }

// maxSnapshotTries is how many valid snapshots Restore tries, newest first (FileSnap).
const maxSnapshotTries = 100

// Restore loads the newest intact snapshot and replays the log after it (see the package doc
// for the rules). It returns the last zxid: the last replayed txn's, else the snapshot's, else
// 0 for an empty database. It must be called before the first Append.
func (s *Storage) Restore(l Loader) (int64, error) {
	if s.appending.Load() {
		return 0, errors.New("storage: Restore after Append")
	}
	s.fileMu.Lock()
	defer s.fileMu.Unlock()

	snapZxid, snapFile, err := s.loadSnapshot(l)
	if err != nil {
		return 0, err
	}
	logs, err := listFiles(s.logDir, logPrefix, true)
	if err != nil {
		return 0, err
	}
	if snapFile == "" {
		if len(logs) > 0 && !s.opts.TrustEmpty {
			return 0, fmt.Errorf("storage: %s holds txn logs (%s...) but no snapshot was found in %s; "+
				"set zookeeper.snapshot.trust.empty to replay them anyway (only when upgrading from 3.4)",
				s.logDir, logs[0].name, s.snapDir)
		}
		snapZxid = 0
	}
	last, n, err := s.replay(l, logsFrom(logs, snapZxid), snapZxid, snapFile)
	if err != nil {
		return 0, err
	}
	s.lastDurable.Store(last)
	s.lg.Info("restored", "snapshot", snapFile, "snapshotZxid", fmt.Sprintf("0x%x", snapZxid),
		"txns", n, "lastZxid", fmt.Sprintf("0x%x", last))
	return last, nil
}

// loadSnapshot feeds the newest snapshot that reads back intact to l. No snapshot at all gives
// an empty file name; snapshots that all fail give an error.
func (s *Storage) loadSnapshot(l Loader) (int64, string, error) {
	snaps, err := s.validSnapshots(maxSnapshotTries)
	if err != nil {
		return 0, "", err
	}
	var errs []error
	for _, f := range snaps {
		err := loadSnapshotFile(l, f, s.maxEntry())
		if err == nil {
			return f.zxid, f.name, nil
		}
		s.lg.Warn("problem reading snapshot, trying an older one", "file", f.path, "err", err)
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return 0, "", fmt.Errorf("storage: no readable snapshot in %s: %w", s.snapDir, errors.Join(errs...))
	}
	return 0, "", nil
}

func loadSnapshotFile(l Loader, f dataFile, maxBuffer int) error {
	fh, err := os.Open(f.path)
	if err != nil {
		return err
	}
	defer fh.Close()
	r, err := wire.NewSnapshotReader(fh, f.name)
	if err != nil {
		return err
	}
	r.MaxBuffer = maxBuffer
	if err := l.LoadSnapshot(r, f.zxid); err != nil {
		return fmt.Errorf("storage: loading %s: %w", f.path, err)
	}
	if !r.Finished() {
		// drain what the loader left, then check the seals
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				return err
			}
		}
		if _, err := r.Finish(); err != nil {
			return err
		}
	}
	return nil
}

// follows reports whether zxid z may come right after prev: the next counter in the same
// epoch, or any zxid of a later epoch.
func follows(prev, z int64) bool { return z == prev+1 || z>>32 > prev>>32 }

// replay applies the entries of files with zxid > from, checking that zxids follow each other.
func (s *Storage) replay(l Loader, files []dataFile, from int64, snapFile string) (last int64, n int, err error) {
	last = from
	var prevFile string // where last came from: a log file and offset, else the snapshot
	var prevOff int64
	where := func() string {
		switch {
		case prevFile != "":
			return fmt.Sprintf("%s offset %d", prevFile, prevOff)
		case snapFile != "":
			return snapFile
		}
		return "an empty database"
	}
	for i, f := range files {
		end, err := scanLog(f, s.maxEntry(), func(e *wire.LogEntry) error {
			z := e.Header.Zxid
			if z <= from {
				return nil
			}
			if z <= last {
				s.lg.Warn("txn log entry out of order, skipped", "file", f.path, "offset", e.Offset,
					"zxid", fmt.Sprintf("0x%x", z), "after", fmt.Sprintf("0x%x", last))
				return nil
			}
			if !follows(last, z) {
				return fmt.Errorf("storage: %s: offset %d: zxid 0x%x does not follow 0x%x (%s): txns are missing",
					f.path, e.Offset, z, last, where())
			}
			t, err := wire.DecodeTxn(e.Payload)
			if err != nil {
				return fmt.Errorf("storage: %s: offset %d: %w", f.path, e.Offset, err)
			}
			if err := l.ApplyTxn(&t.Header, t.Record, t.Digest, e.Payload); err != nil {
				return fmt.Errorf("storage: %s: offset %d: applying zxid 0x%x: %w", f.path, e.Offset, z, err)
			}
			last, n = z, n+1
			prevFile, prevOff = f.name, e.Offset
			return nil
		})
		torn := errors.Is(err, wire.ErrTornTail)
		if err != nil && !torn {
			return 0, 0, err
		}
		switch lastFile := i == len(files)-1; {
		case lastFile && end <= wire.TxnLogHeaderSize:
			// a crash right after the file was created: the next append would recreate it
			if err := cutLog(f.path, end); err != nil {
				return 0, 0, err
			}
			s.lg.Warn("removed the last txn log, which holds no entry", "file", f.path, "err", err)
		case lastFile && torn:
			if err := cutLog(f.path, end); err != nil {
				return 0, 0, err
			}
			s.lg.Warn("truncated the torn tail of the last txn log", "file", f.path, "offset", end, "err", err)
		case torn:
			// A Java server that crashed and restarted leaves this: it stops reading at the
			// torn entry and starts a new file; the zxid check covers what follows.
			s.lg.Warn("torn tail in a txn log that is not the last one", "file", f.path, "err", err)
		}
	}
	return last, n, nil
}

// scanLog reads a log file, calling fn for every good entry. It returns the end of the good
// entries and the reader's error (nil at a clean end) or fn's.
func scanLog(f dataFile, maxEntry int, fn func(*wire.LogEntry) error) (int64, error) {
	fh, err := os.Open(f.path)
	if err != nil {
		return 0, fmt.Errorf("storage: %w", err)
	}
	defer fh.Close()
	r, err := wire.NewTxnLogReader(fh, f.path)
	if err != nil {
		return 0, err
	}
	r.MaxEntry = maxEntry
	for {
		e, err := r.Next()
		if err == io.EOF {
			return r.Offset(), nil
		}
		if err != nil {
			return r.Offset(), err
		}
		if err := fn(&e); err != nil {
			return r.Offset(), err
		}
	}
}

// cutLog truncates a log file at end (the end of its last good entry), or removes it when no
// entry remains, and syncs the change.
func cutLog(path string, end int64) error {
	if end <= wire.TxnLogHeaderSize {
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("storage: %w", err)
		}
	} else {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		err = f.Truncate(end)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("storage: truncating %s at %d: %w", path, end, err)
		}
	}
	return wire.SyncDir(filepath.Dir(path))
}

// errStop ends a scan early without an error.
var errStop = errors.New("stop")

// truncate cuts the log after zxid (run by the writer goroutine with no file open).
func (s *Storage) truncate(zxid int64) error {
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	logs, err := listFiles(s.logDir, logPrefix, true)
	if err != nil {
		return err
	}
	for _, f := range logs {
		if f.zxid > zxid {
			if err := os.Remove(f.path); err != nil {
				return fmt.Errorf("storage: truncate: %w", err)
			}
			s.lg.Info("truncate: removed txn log", "file", f.path)
		}
	}
	if keep := logsFrom(logs, zxid); len(keep) > 0 && keep[0].zxid <= zxid {
		f := keep[0]
		end := int64(wire.TxnLogHeaderSize)
		_, err := scanLog(f, s.maxEntry(), func(e *wire.LogEntry) error {
			if e.Header.Zxid > zxid {
				return errStop
			}
			end = e.Offset + e.Size()
			return nil
		})
		if err != nil && err != errStop && !errors.Is(err, wire.ErrTornTail) {
			return err
		}
		if err := cutLog(f.path, end); err != nil {
			return err
		}
		s.lg.Info("truncate: cut txn log", "file", f.path, "offset", end, "zxid", fmt.Sprintf("0x%x", zxid))
	}
	if s.lastDurable.Load() > zxid {
		s.lastDurable.Store(zxid)
	}
	return wire.SyncDir(s.logDir)
}

// ReadLog calls fn for every durable logged txn with zxid >= from, in order; raw is the
// entry payload. A non-nil error from fn stops the iteration and is returned.
func (s *Storage) ReadLog(from int64, fn func(hdr *records.TxnHeader, raw []byte) error) error {
	s.fileMu.RLock()
	defer s.fileMu.RUnlock()
	limit := s.lastDurable.Load()
	logs, err := listFiles(s.logDir, logPrefix, true)
	if err != nil {
		return err
	}
	files := logsFrom(logs, from)
	for _, f := range files {
		_, err := scanLog(f, s.maxEntry(), func(e *wire.LogEntry) error {
			switch z := e.Header.Zxid; {
			case z > limit:
				return errStop
			case z >= from:
				return fn(&e.Header, e.Payload)
			}
			return nil
		})
		if err == errStop {
			return nil
		}
		if errors.Is(err, wire.ErrTornTail) {
			continue // the end of what was written to this file
		}
		if err != nil {
			return err
		}
	}
	return nil
}
