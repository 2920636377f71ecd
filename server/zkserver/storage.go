package zkserver

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/jute/records"
	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/server/storage"
	"github.com/zkgo/zkgo/wire"
)

type restored struct {
	recent   [][]byte // the last replayed log entries (for DIFF syncs as leader)
	tree     *datatree.Tree
	sessions map[int64]int32
	store    *storage.Storage
	close    func()
}

// loader rebuilds the tree and the session table from a snapshot and the log.
type loader struct {
	lg       *slog.Logger
	tree     *datatree.Tree
	sessions map[int64]int32
	recent   [][]byte
}

func (l *loader) LoadSnapshot(r *wire.SnapshotReader, zxid int64) error {
	t, ss, err := datatree.LoadSnapshot(r, zxid)
	if err != nil {
		return err
	}
	l.tree = t
	l.sessions = map[int64]int32{}
	for _, s := range ss {
		l.sessions[s.ID] = s.Timeout
	}
	return nil
}

func (l *loader) ApplyTxn(hdr *records.TxnHeader, txn jute.Record, digest *records.TxnDigest, raw []byte) error {
	if l.tree == nil {
		l.tree = datatree.New()
		l.sessions = map[int64]int32{}
	}
	res := l.tree.ApplyTxn(hdr, txn)
	l.recent = append(l.recent, append([]byte(nil), raw...))
	if len(l.recent) > 1000 {
		l.recent = append([][]byte(nil), l.recent[len(l.recent)-500:]...)
	}
	switch wire.Op(hdr.Type) {
	case wire.OpCreateSession:
		if cs, ok := txn.(*records.CreateSessionTxn); ok {
			l.sessions[hdr.ClientID] = cs.TimeOut
		}
	case wire.OpCloseSession:
		delete(l.sessions, hdr.ClientID)
	case wire.OpDelete, wire.OpDeleteContainer:
		if res.Err == wire.ErrNoNode {
			// A delete of a missing node during replay means the log and the snapshot
			// disagree (Java stops too).
			return fmt.Errorf("replaying zxid 0x%x: delete of missing node %s", hdr.Zxid, res.Path)
		}
	}
	if digest != nil && l.tree.Digest() != uint64(digest.TreeDigest) {
		l.lg.Debug("digest mismatch while replaying", "zxid", fmt.Sprintf("0x%x", hdr.Zxid))
	}
	return nil
}

// openStorage restores the tree from dataDir/dataLogDir and returns the log for new txns.
func openStorage(cfg *config.Config, lg *slog.Logger, fsync func(time.Duration), batch func(entries, bytes int)) (restored, error) {
	opts := storageOptions(cfg, lg)
	opts.ObserveFsync, opts.ObserveBatch = fsync, batch
	st, err := storage.Open(opts)
	if err != nil {
		return restored{}, err
	}
	l := &loader{lg: lg}
	last, err := st.Restore(l)
	if err != nil {
		st.Close()
		return restored{}, err
	}
	fresh := l.tree == nil
	if fresh {
		l.tree = datatree.New()
		l.sessions = map[int64]int32{}
	}
	ensureStandardNodes(l.tree)
	l.tree.LastZxid = last
	if fresh {
		// Like Java, a new database gets snapshot.0 before any log is written.
		if err := st.SaveSnapshot(0, snapshotOf(l.tree, l.sessions)); err != nil {
			st.Close()
			return restored{}, err
		}
	}
	lg.Info("database restored", "zxid", fmt.Sprintf("0x%x", last), "nodes", l.tree.NodeCount(), "sessions", len(l.sessions))
	return restored{tree: l.tree, sessions: l.sessions, recent: l.recent, store: st, close: func() { st.Close() }}, nil
}

func storageOptions(cfg *config.Config, lg *slog.Logger) storage.Options {
	o := storage.Options{
		DataDir:         cfg.DataDir,
		DataLogDir:      cfg.DataLogDir,
		NoForceSync:     !cfg.ForceSync,
		PreAllocSize:    cfg.PreAllocSizeKB << 10,
		SnapCount:       cfg.SnapCount,
		SnapRetainCount: cfg.AutopurgeRetain,
		PurgeInterval:   cfg.AutopurgeInterval,
		TrustEmpty:      cfg.BoolProp("snapshot.trust.empty"),
		Logger:          lg,
	}
	if v, ok := cfg.Prop("snapshot.compression.method"); ok {
		o.SnapshotCompression = wire.CompressionOf("x." + v)
	}
	return o
}

// ensureStandardNodes adds /zookeeper/config when a snapshot from an older release lacks it.
func ensureStandardNodes(t *datatree.Tree) {
	if t.Get(datatree.ConfigPath) == nil && t.Get(datatree.ZookeeperPath) != nil {
		t.AddNode(datatree.ConfigPath, nil, datatree.OpenACLIndex, records.StatPersisted{Aversion: -1})
		t.FinishLoad()
	}
}

// snapshotOf returns a snapshot writer function over a copy of the tree's current state, so
// the snapshot can be written in the background while the tree changes.
func snapshotOf(t *datatree.Tree, sessions map[int64]int32) func(*wire.SnapshotWriter) error {
	ss := make([]wire.SnapSession, 0, len(sessions))
	for id, to := range sessions {
		ss = append(ss, wire.SnapSession{ID: id, Timeout: to})
	}
	return datatree.SnapshotFunc(t, ss)
}

// reloadAt truncates the log after zxid (a leader's TRUNC) and rebuilds the tree from disk.
func reloadAt(cfg *config.Config, lg *slog.Logger, st *storage.Storage, zxid int64) (*datatree.Tree, map[int64]int32, error) {
	if err := st.Truncate(zxid); err != nil {
		return nil, nil, err
	}
	ro, err := storage.Open(storageOptions(cfg, lg))
	if err != nil {
		return nil, nil, err
	}
	defer ro.Close()
	l := &loader{lg: lg}
	last, err := ro.Restore(l)
	if err != nil {
		return nil, nil, err
	}
	if l.tree == nil {
		l.tree, l.sessions = datatree.New(), map[int64]int32{}
	}
	ensureStandardNodes(l.tree)
	l.tree.LastZxid = last
	return l.tree, l.sessions, nil
}
