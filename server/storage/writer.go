package storage

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/zkgo/zkgo/wire"
)

// syncLog makes a log file durable; tests wrap it.
var syncLog = fdatasync

type opKind int

const (
	opAppend opKind = iota
	opSync
	opRoll
	opTruncate
	opClose
)

type request struct {
	op    opKind
	zxid  int64
	entry []byte
	done  chan error // control requests only
}

// logWriter is the state of the writer goroutine, which alone touches the open log file.
type logWriter struct {
	s    *Storage
	opts *Options

	f     *os.File
	bw    *bufio.Writer
	w     *wire.TxnLogWriter
	name  string
	size  int64 // allocated file size (FilePadding.currentSize)
	fresh bool  // created since the last commit: the directory needs an fsync

	// the batch being written
	batchN     int
	batchBytes int
	batchLast  int64

	// since the last roll, for the snapshot trigger
	txns, bytes        int64
	randRoll, randSize int64
}

func newLogWriter(s *Storage) *logWriter {
	w := &logWriter{s: s, opts: &s.opts}
	w.resetSnapshotStats()
	return w
}

func (w *logWriter) snapSizeBytes() int64 {
	if w.opts.SnapSizeLimitKB < 0 {
		return 0
	}
	return w.opts.SnapSizeLimitKB * 1024
}

// resetSnapshotStats draws the random part of the next snapshot threshold
// (SyncRequestProcessor.resetSnapshotStats).
func (w *logWriter) resetSnapshotStats() {
	w.randRoll = w.opts.Rand(int64(w.opts.SnapCount / 2))
	if half := w.snapSizeBytes() / 2; half > 0 {
		w.randSize = w.opts.Rand(half)
	}
}

func (w *logWriter) run() {
	s := w.s
	defer close(s.done)
	for {
		var r request
		select {
		case r = <-s.queue:
		case <-s.stop: // Close could not hand over opClose: the storage failed
			w.closeFile()
			return
		}
		for r.op == opAppend {
			if err := w.write(r); err != nil {
				s.fail(err)
				break
			}
			if w.batchN >= w.opts.MaxBatchEntries || w.batchBytes >= w.opts.MaxBatchBytes {
				break
			}
			select {
			case r = <-s.queue:
				continue
			default:
			}
			break
		}
		if err := w.commit(); err != nil {
			s.fail(err)
		}
		if r.op == opAppend {
			continue
		}
		if s.Err() != nil {
			r.done <- s.Err()
			if r.op == opClose {
				w.closeFile()
				return
			}
			continue
		}
		var err error
		switch r.op {
		case opSync:
		case opRoll:
			err = w.roll()
		case opTruncate:
			if err = w.roll(); err == nil {
				err = s.truncate(r.zxid)
			}
		case opClose:
			err = w.closeFile()
			r.done <- err
			return
		}
		if err != nil && r.op != opTruncate {
			s.fail(err)
		}
		r.done <- err
	}
}

// write puts one entry into the current file's buffer, opening a file first if needed.
func (w *logWriter) write(r request) error {
	if w.s.Err() != nil {
		return nil // failed: drop
	}
	if w.f == nil {
		if err := w.open(r.zxid); err != nil {
			return err
		}
	}
	if err := w.pad(); err != nil {
		return err
	}
	if err := w.w.Append(r.entry); err != nil {
		return fmt.Errorf("storage: writing %s: %w", w.name, err)
	}
	n := len(r.entry) + 13
	w.batchN++
	w.batchBytes += n
	w.batchLast = r.zxid
	w.txns++
	w.bytes += int64(n)
	if w.txns > int64(w.opts.SnapCount/2)+w.randRoll ||
		(w.snapSizeBytes() > 0 && w.bytes > w.snapSizeBytes()/2+w.randSize) {
		w.resetSnapshotStats()
		w.txns, w.bytes = 0, 0
		select {
		case w.s.snapDue <- struct{}{}:
		default:
		}
	}
	return nil
}

func (w *logWriter) open(zxid int64) error {
	w.name = logName(zxid)
	path := filepath.Join(w.s.logDir, w.name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("storage: creating log: %w", err)
	}
	w.f, w.bw = f, bufio.NewWriterSize(f, 256<<10)
	if w.w, err = wire.NewTxnLogWriter(w.bw); err == nil {
		err = w.bw.Flush() // the header is in the file before any padding, as in Java
	}
	if err != nil {
		return fmt.Errorf("storage: writing %s: %w", w.name, err)
	}
	w.size = w.w.Offset()
	w.fresh = true
	w.s.lg.Info("new txn log", "file", path)
	return nil
}

// paddedSize is FilePadding.calculateFileSizeWithPadding: when pos is within 4 KiB of the
// allocated size, grow it to the next multiple of prealloc (or past pos when already beyond).
func paddedSize(pos, size, prealloc int64) int64 {
	if prealloc > 0 && pos+4096 >= size {
		if pos > size {
			size = pos + prealloc
			size -= size % prealloc
		} else {
			size += prealloc
		}
	}
	return size
}

// pad preallocates before a write, extending the file by writing one zero byte at its new end.
func (w *logWriter) pad() error {
	pos := w.w.Offset()
	n := paddedSize(pos, w.size, w.opts.PreAllocSize)
	if n == w.size {
		return nil
	}
	if _, err := w.f.WriteAt([]byte{0}, n-1); err != nil {
		return fmt.Errorf("storage: preallocating %s: %w", w.name, err)
	}
	w.size = n
	return nil
}

// commit flushes and fsyncs the batch, then reports it durable.
func (w *logWriter) commit() error {
	if w.batchN == 0 {
		return nil
	}
	s, c := w.s, &w.s.st
	n, b, last := w.batchN, w.batchBytes, w.batchLast
	w.batchN, w.batchBytes = 0, 0
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("storage: writing %s: %w", w.name, err)
	}
	if !w.opts.NoForceSync {
		t0 := time.Now()
		if err := syncLog(w.f); err != nil {
			return fmt.Errorf("storage: fsync %s: %w", w.name, err)
		}
		d := time.Since(t0)
		c.fsyncs.Add(1)
		c.fsyncTotal.Add(int64(d))
		c.fsyncLast.Store(int64(d))
		storeMax(&c.fsyncMax, int64(d))
		if d > time.Second {
			s.lg.Warn("fsync of the txn log was slow", "file", w.name, "took", d)
		}
		if w.opts.ObserveFsync != nil {
			w.opts.ObserveFsync(d)
		}
		if w.fresh {
			if err := wire.SyncDir(s.logDir); err != nil {
				return err
			}
		}
	}
	w.fresh = false
	c.appends.Add(int64(n))
	c.appendBytes.Add(int64(b))
	c.batches.Add(1)
	storeMax(&c.batchMax, int64(n))
	if w.opts.ObserveBatch != nil {
		w.opts.ObserveBatch(n, b)
	}
	s.lastDurable.Store(last)
	// One slot, newest value: drop an unread older zxid, then send (only this goroutine sends).
	select {
	case s.durable <- last:
	default:
		select {
		case <-s.durable:
		default:
		}
		s.durable <- last
	}
	if lim := w.opts.TxnLogSizeLimitKB * 1024; lim > 0 && w.w.Offset() > lim {
		return w.roll()
	}
	return nil
}

// roll closes the current file; the next append opens a new one.
func (w *logWriter) roll() error {
	w.txns, w.bytes = 0, 0
	if w.f == nil {
		return nil
	}
	w.s.st.logRolls.Add(1)
	return w.closeFile()
}

func (w *logWriter) closeFile() error {
	if w.f == nil {
		return nil
	}
	err := w.bw.Flush()
	if err == nil && !w.opts.NoForceSync {
		err = fdatasync(w.f)
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f, w.bw, w.w = nil, nil, nil
	if err != nil {
		return fmt.Errorf("storage: closing %s: %w", w.name, err)
	}
	return nil
}
