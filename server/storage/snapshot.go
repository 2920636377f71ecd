package storage

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/zkgo/zkgo/wire"
)

// SnapshotResult reports a snapshot written by TakeSnapshot.
type SnapshotResult struct {
	Zxid     int64
	Path     string // the final file; "" on error
	Size     int64  // bytes on disk
	Duration time.Duration
	Err      error
}

// SnapshotDone receives the result of each TakeSnapshot (a slow reader misses results; Stats
// counts them all).
func (s *Storage) SnapshotDone() <-chan SnapshotResult { return s.snapDone }

// TakeSnapshot rolls the log behind everything appended so far and writes snapshot.<hex zxid>
// in the background through write, which must call the writer's Sessions, ACLs, Node for each
// node and Finish, reading only data that does not change meanwhile. zxid is the last zxid
// applied to the data written. It returns ErrSnapshotBusy while another snapshot is being
// written.
func (s *Storage) TakeSnapshot(zxid int64, write func(*wire.SnapshotWriter) error) error {
	if !s.snapBusy.CompareAndSwap(false, true) {
		return ErrSnapshotBusy
	}
	roll := request{op: opRoll, done: make(chan error, 1)}
	select {
	case s.queue <- roll:
	case <-s.failed:
		s.snapBusy.Store(false)
		return s.Err()
	case <-s.stop:
		s.snapBusy.Store(false)
		return ErrClosed
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		res := s.writeSnapshot(zxid, write)
		s.snapBusy.Store(false)
		select {
		case s.snapDone <- res:
		default:
		}
		if res.Err == nil && s.opts.PurgeInterval > 0 {
			if err := s.Purge(); err != nil {
				s.lg.Warn("purge after snapshot failed", "err", err)
			}
		}
	}()
	return nil
}

// SaveSnapshot writes a snapshot and returns once it is durable: as TakeSnapshot, but in the
// caller's goroutine (for snapshot.0 of a new database, or after a SNAP sync).
func (s *Storage) SaveSnapshot(zxid int64, write func(*wire.SnapshotWriter) error) error {
	if !s.snapBusy.CompareAndSwap(false, true) {
		return ErrSnapshotBusy
	}
	defer s.snapBusy.Store(false)
	if err := s.RollLog(); err != nil {
		return err
	}
	return s.writeSnapshot(zxid, write).Err
}

// writeSnapshot writes .snapshot.<zxid>.tmp, fsyncs it, renames it and fsyncs the directory.
func (s *Storage) writeSnapshot(zxid int64, write func(*wire.SnapshotWriter) error) SnapshotResult {
	t0 := time.Now()
	c := s.opts.SnapshotCompression
	name := snapName(zxid) + c.Ext()
	final := filepath.Join(s.snapDir, name)
	tmp := filepath.Join(s.snapDir, snapTmpPrefix+name[len(snapPrefix)+1:]+".tmp")
	res := SnapshotResult{Zxid: zxid}
	err := func() error {
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(f, 256<<10)
		sw, err := wire.NewSnapshotWriter(bw, c)
		if err == nil {
			err = write(sw)
		}
		if err == nil && !sw.Finished() {
			err = errors.New("the snapshot writer returned without Finish")
		}
		if err == nil {
			err = f.Sync()
		}
		if err == nil {
			var fi os.FileInfo
			if fi, err = f.Stat(); err == nil {
				res.Size = fi.Size()
			}
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp, final)
		}
		if err == nil {
			err = wire.SyncDir(s.snapDir)
		}
		return err
	}()
	res.Duration = time.Since(t0)
	if err != nil {
		os.Remove(tmp)
		res.Err = fmt.Errorf("storage: writing snapshot %s: %w", final, err)
		s.lg.Error("snapshot failed", "err", res.Err)
		return res
	}
	res.Path = final
	s.st.snapshots.Add(1)
	s.st.snapshotLast.Store(int64(res.Duration))
	s.st.snapshotSize.Store(res.Size)
	s.lg.Info("snapshot written", "file", final, "bytes", res.Size, "took", res.Duration)
	return res
}

// Purge keeps the SnapRetainCount newest valid snapshots and the logs needed to replay from
// the oldest of them, and deletes older snapshots and logs (PurgeTxnLog.purge).
func (s *Storage) Purge() error {
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	snaps, err := s.validSnapshots(s.opts.SnapRetainCount)
	if err != nil || len(snaps) == 0 {
		return err
	}
	least := snaps[len(snaps)-1].zxid
	logs, err := listFiles(s.logDir, logPrefix, true)
	if err != nil {
		return err
	}
	retained := map[string]bool{}
	for _, f := range logsFrom(logs, least) {
		retained[f.path] = true
	}
	all, err := listFiles(s.snapDir, snapPrefix, true)
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range append(logs, all...) {
		if f.zxid >= least || retained[f.path] {
			continue
		}
		if err := os.Remove(f.path); err != nil {
			errs = append(errs, err)
			continue
		}
		s.lg.Info("purged", "file", f.path)
	}
	return errors.Join(errs...)
}

func (s *Storage) purgeLoop(every time.Duration) {
	defer s.bg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := s.Purge(); err != nil {
				s.lg.Warn("autopurge failed", "err", err)
			}
		case <-s.stop:
			return
		}
	}
}
