package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/wire"
)

// Options configure Open. Zero values take Java's defaults.
type Options struct {
	DataDir    string // snapshots and epoch files (dataDir)
	DataLogDir string // txn logs (dataLogDir); "" means DataDir

	NoForceSync       bool  // forceSync=no: never fsync the log (unsafe: a crash may lose acked txns)
	PreAllocSize      int64 // bytes (zookeeper.preAllocSize is KiB); 0 = 64 MiB, < 0 = no preallocation
	SnapCount         int   // snapCount; 0 = 100000
	SnapSizeLimitKB   int64 // zookeeper.snapSizeLimitInKb; 0 = 4 GiB, < 0 = off
	SnapRetainCount   int   // autopurge.snapRetainCount; 0 = 3 (Java's minimum)
	PurgeInterval     int   // autopurge.purgeInterval in hours; 0 = no autopurge
	TxnLogSizeLimitKB int64 // zookeeper.txnLogSizeLimitInKb; <= 0 = off
	TrustEmpty        bool  // zookeeper.snapshot.trust.empty: replay logs with no snapshot

	// JuteMaxBuffer is jute.maxbuffer: with Java's 1024 extra bytes it bounds log entries and
	// snapshot buffers when reading; 0 = 0xfffff.
	JuteMaxBuffer int

	// SnapshotCompression is zookeeper.snapshot.compression.method for new snapshots.
	SnapshotCompression wire.Compression

	MaxBatchEntries int // entries per group commit; 0 = 1000
	MaxBatchBytes   int // bytes per group commit; 0 = 4 MiB
	QueueSize       int // appends queued before Append blocks; 0 = 10000

	// Rand returns a number in [0, n); nil means math/rand/v2. It spreads snapshots apart.
	Rand func(n int64) int64

	Logger *slog.Logger

	// ObserveFsync and ObserveBatch, when set, are called by the writer goroutine after each
	// fsync and each group commit (entries, bytes).
	ObserveFsync func(time.Duration)
	ObserveBatch func(entries, bytes int)
}

func (o *Options) defaults() error {
	if o.DataDir == "" {
		return errors.New("storage: Options.DataDir is empty")
	}
	if o.DataLogDir == "" {
		o.DataLogDir = o.DataDir
	}
	if o.PreAllocSize == 0 {
		o.PreAllocSize = 64 << 20
	}
	if o.SnapCount <= 0 {
		o.SnapCount = 100000
	}
	if o.SnapCount < 2 {
		o.SnapCount = 2 // as Java: snapCount/2 must be positive
	}
	if o.SnapSizeLimitKB == 0 {
		o.SnapSizeLimitKB = 4 << 20
	}
	if o.SnapRetainCount <= 0 {
		o.SnapRetainCount = 3
	}
	if o.MaxBatchEntries <= 0 {
		o.MaxBatchEntries = 1000
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = 4 << 20
	}
	if o.JuteMaxBuffer <= 0 {
		o.JuteMaxBuffer = jute.DefaultMaxBuffer
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 10000
	}
	if o.Rand == nil {
		o.Rand = func(n int64) int64 { return rand.Int64N(n) }
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	switch o.SnapshotCompression {
	case wire.CompressNone, wire.CompressGzip, wire.CompressSnappy:
	default:
		return fmt.Errorf("storage: unknown snapshot compression %q", o.SnapshotCompression)
	}
	return nil
}

// Errors of the Storage API.
var (
	ErrClosed       = errors.New("storage: closed")
	ErrSnapshotBusy = errors.New("storage: a snapshot is already being written")
)

// Storage is an open data directory. Its methods may be called from any goroutine.
type Storage struct {
	opts    Options
	lg      *slog.Logger
	snapDir string // <DataDir>/version-2
	logDir  string // <DataLogDir>/version-2

	queue    chan request
	durable  chan int64
	snapDue  chan struct{}
	snapDone chan SnapshotResult
	failed   chan struct{}
	stop     chan struct{} // closed by Close
	done     chan struct{} // closed when the writer goroutine exits

	failOnce  sync.Once
	errMu     sync.Mutex
	err       error
	closeOnce sync.Once
	bg        sync.WaitGroup // snapshot and purge goroutines

	// fileMu orders whole-file operations: purge, truncation and restore take it exclusively,
	// ReadLog shares it.
	fileMu    sync.RWMutex
	snapBusy  atomic.Bool
	appending atomic.Bool // set by the first Append: Restore is no longer allowed

	lastDurable atomic.Int64
	st          counters
}

// Open prepares the data directories (creating version-2/ in both) and starts the log writer
// goroutine.
func Open(opts Options) (*Storage, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	s := &Storage{
		opts:     opts,
		lg:       opts.Logger.With("component", "storage"),
		snapDir:  filepath.Join(opts.DataDir, "version-2"),
		logDir:   filepath.Join(opts.DataLogDir, "version-2"),
		queue:    make(chan request, opts.QueueSize),
		durable:  make(chan int64, 1),
		snapDue:  make(chan struct{}, 1),
		snapDone: make(chan SnapshotResult, 4),
		failed:   make(chan struct{}),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	for _, d := range []string{s.snapDir, s.logDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("storage: %w", err)
		}
	}
	// Snapshot temp files of an interrupted run.
	if ents, err := os.ReadDir(s.snapDir); err == nil {
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), snapTmpPrefix) {
				os.Remove(filepath.Join(s.snapDir, e.Name()))
			}
		}
	}
	w := newLogWriter(s)
	go w.run()
	if opts.PurgeInterval > 0 {
		s.bg.Add(1)
		go s.purgeLoop(time.Duration(opts.PurgeInterval) * time.Hour)
	}
	return s, nil
}

// SnapDir is <DataDir>/version-2.
func (s *Storage) SnapDir() string { return s.snapDir }

// LogDir is <DataLogDir>/version-2.
func (s *Storage) LogDir() string { return s.logDir }

// Append queues the txn entry for zxid (TxnHeader + txn + optional digest; the PROPOSAL
// payload). entry must not be modified afterwards. Zxids must grow. Append blocks only while
// the queue is full; after a failure or Close the entry is dropped (see Err).
func (s *Storage) Append(zxid int64, entry []byte) {
	s.appending.Store(true)
	select {
	case s.queue <- request{op: opAppend, zxid: zxid, entry: entry}:
	case <-s.failed:
	case <-s.stop:
	}
}

// Durable carries the highest durable zxid after each group commit. It holds one value: a
// newer one replaces an unread older one.
func (s *Storage) Durable() <-chan int64 { return s.durable }

// LastDurable is the highest zxid known durable (the restored last zxid before any append).
func (s *Storage) LastDurable() int64 { return s.lastDurable.Load() }

// SnapshotDue receives a value when enough has been logged since the last roll that a
// snapshot should be taken (see the package doc).
func (s *Storage) SnapshotDue() <-chan struct{} { return s.snapDue }

// Failed is closed when the writer hit an I/O error; Err returns it.
func (s *Storage) Failed() <-chan struct{} { return s.failed }

// Err returns the error that failed the storage, or nil.
func (s *Storage) Err() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

func (s *Storage) fail(err error) {
	s.failOnce.Do(func() {
		s.errMu.Lock()
		s.err = err
		s.errMu.Unlock()
		s.lg.Error("storage failed; the server must restart", "err", err)
		close(s.failed)
	})
}

// call sends a control request to the writer and waits for its answer.
func (s *Storage) call(r request) error {
	r.done = make(chan error, 1)
	select {
	case s.queue <- r:
	case <-s.failed:
		return s.Err()
	case <-s.stop:
		return ErrClosed
	}
	select {
	case err := <-r.done:
		return err
	case <-s.failed:
		return s.Err()
	case <-s.done:
		return ErrClosed
	}
}

// Sync returns once every entry appended before it is durable.
func (s *Storage) Sync() error { return s.call(request{op: opSync}) }

// RollLog closes the current log file after the entries appended so far; the next append
// starts a new file.
func (s *Storage) RollLog() error { return s.call(request{op: opRoll}) }

// Truncate removes every logged txn after zxid: the file holding zxid is cut right after it and
// later files are deleted (the TRUNC of quorum sync). Entries still queued are written first.
// The caller reloads its state afterwards (Restore on a new Storage).
func (s *Storage) Truncate(zxid int64) error {
	return s.call(request{op: opTruncate, zxid: zxid})
}

// Close writes and syncs what is queued, closes the log and waits for a running snapshot and
// purge. Appends after Close are dropped.
func (s *Storage) Close() error {
	var err error
	s.closeOnce.Do(func() {
		err = s.call(request{op: opClose})
		if errors.Is(err, ErrClosed) {
			err = nil
		}
		close(s.stop)
		<-s.done
		s.bg.Wait()
	})
	return err
}

// CurrentEpoch reads version-2/currentEpoch; a missing file gives an error matching
// fs.ErrNotExist.
func (s *Storage) CurrentEpoch() (int64, error) {
	return wire.ReadEpochFile(filepath.Join(s.snapDir, wire.CurrentEpochFile))
}

// SetCurrentEpoch writes version-2/currentEpoch atomically and durably.
func (s *Storage) SetCurrentEpoch(e int64) error {
	return wire.WriteEpochFile(filepath.Join(s.snapDir, wire.CurrentEpochFile), e)
}

// AcceptedEpoch reads version-2/acceptedEpoch; a missing file gives an error matching
// fs.ErrNotExist.
func (s *Storage) AcceptedEpoch() (int64, error) {
	return wire.ReadEpochFile(filepath.Join(s.snapDir, wire.AcceptedEpochFile))
}

// SetAcceptedEpoch writes version-2/acceptedEpoch atomically and durably.
func (s *Storage) SetAcceptedEpoch(e int64) error {
	return wire.WriteEpochFile(filepath.Join(s.snapDir, wire.AcceptedEpochFile), e)
}

// Stats are the storage's counters, for metrics.
type Stats struct {
	Appends      int64 // entries written
	AppendBytes  int64 // bytes written to logs (entries with framing)
	Batches      int64 // group commits
	BatchMax     int64 // most entries in one group commit
	Fsyncs       int64
	FsyncTotal   time.Duration
	FsyncLast    time.Duration
	FsyncMax     time.Duration
	LogRolls     int64
	Snapshots    int64 // snapshots written
	SnapshotLast time.Duration
	SnapshotSize int64 // bytes of the last snapshot file
	Queued       int   // entries and requests waiting for the writer
	LastDurable  int64
}

// AvgFsync is the mean fsync duration.
func (s Stats) AvgFsync() time.Duration {
	if s.Fsyncs == 0 {
		return 0
	}
	return s.FsyncTotal / time.Duration(s.Fsyncs)
}

// AvgBatch is the mean number of entries per group commit.
func (s Stats) AvgBatch() float64 {
	if s.Batches == 0 {
		return 0
	}
	return float64(s.Appends) / float64(s.Batches)
}

type counters struct {
	appends, appendBytes, batches, batchMax           atomic.Int64
	fsyncs, fsyncTotal, fsyncLast, fsyncMax, logRolls atomic.Int64
	snapshots, snapshotLast, snapshotSize             atomic.Int64
}

// Stats returns the current counters.
func (s *Storage) Stats() Stats {
	c := &s.st
	return Stats{
		Appends: c.appends.Load(), AppendBytes: c.appendBytes.Load(),
		Batches: c.batches.Load(), BatchMax: c.batchMax.Load(),
		Fsyncs: c.fsyncs.Load(), FsyncTotal: time.Duration(c.fsyncTotal.Load()),
		FsyncLast: time.Duration(c.fsyncLast.Load()), FsyncMax: time.Duration(c.fsyncMax.Load()),
		LogRolls: c.logRolls.Load(), Snapshots: c.snapshots.Load(),
		SnapshotLast: time.Duration(c.snapshotLast.Load()), SnapshotSize: c.snapshotSize.Load(),
		Queued: len(s.queue), LastDurable: s.lastDurable.Load(),
	}
}

func storeMax(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}
