package zkserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zkgo/zkgo/server/admin"
	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/server/node"
	"github.com/zkgo/zkgo/server/prep"
	"github.com/zkgo/zkgo/server/quorum"
	"github.com/zkgo/zkgo/server/storage"
	"github.com/zkgo/zkgo/wire"
)

// PrometheusProvider is the metricsProvider.className that turns on /metrics.
const PrometheusProvider = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"

// defaultProvider is Java's DefaultMetricsProvider (the default).
const defaultProvider = "org.apache.zookeeper.metrics.impl.DefaultMetricsProvider"

// FullVersion is what srvr, mntr and envi print as the version (Java's Version.getFullVersion):
// "3.9.3-zkgo, built on 2026-11-22 00:00 UTC".
func FullVersion() string { return Version + ", built on " + BuildDate }

// ops is the operations surface of a Server: four-letter words, the AdminServer, metrics.
type ops struct {
	s       *Server
	srv     *admin.Server
	metrics *admin.Metrics
	store   *storage.Storage // nil without storage
	https   []*http.Server
	addrs   map[string]string // what -> bound address
	auth    *prep.Auth

	leader atomic.Int64 // the last elected leader's sid (-1: none yet)

	sizeMu     sync.Mutex
	sizeAt     time.Time
	sizeCached int64
}

// initOps creates the metrics and the command set before the node exists, and hooks the node's
// request observer into the metrics.
func (s *Server) initOps(nopts *node.Options) {
	o := &ops{s: s, metrics: admin.NewMetrics(), addrs: map[string]string{}}
	o.leader.Store(-1)
	o.metrics.Prometheus = s.Config.MetricsProvider == PrometheusProvider
	wl := map[string]bool{}
	for w, on := range s.Config.FourLetterWords {
		wl[w] = on
	}
	if v, _ := s.Config.Prop("readonlymode.enabled"); v == "true" {
		wl["isro"] = true
	}
	o.srv = admin.New(o, o.metrics, FullVersion(), wl)
	o.srv.Logger = s.Logger
	if u, ok := s.Config.Prop("admin.commandURL"); ok && u != "" {
		o.srv.CommandURL = u
	}
	o.auth = &prep.Auth{SuperDigest: nopts.SuperDigest}
	m := o.metrics
	if len(s.Config.Servers) > 0 {
		// Java writes the ensemble's config into /zookeeper/config at start-up
		// (QuorumPeer.setQuorumVerifier), which DataTree counts as a write to the
		// "zookeeper" namespace.
		m.SummarySet("write_per_namespace").Add("zookeeper", int64(len(datatree.ConfigPath)+len(membership(s.Config))))
	}
	nopts.ObserveRequest = func(r node.Observed) {
		m.ObserveRequest(admin.Request{Op: r.Op.String(), Write: r.Write, Path: r.Path, Bytes: r.Bytes, Counted: r.Counted, Latency: r.Latency})
	}
	s.ops = o
}

// leaderRecorder remembers whom each election chose (the leader command's leader_id).
type leaderRecorder struct {
	quorum.Elector
	o *ops
}

// SetConfig passes an activated config on to the elector (quorum.ConfigSetter).
func (r leaderRecorder) SetConfig(servers []config.Server, version int64) error {
	if c, ok := r.Elector.(quorum.ConfigSetter); ok {
		return c.SetConfig(servers, version)
	}
	return nil
}

// The elector zkserver runs switches config when a reconfig activates one.
var (
	_ quorum.ConfigSetter = leaderRecorder{}
	_ quorum.ConfigSetter = electionPort{}
)

func (r leaderRecorder) LookForLeader(ctx context.Context, lastZxid, epoch int64) (int64, error) {
	id, err := r.Elector.LookForLeader(ctx, lastZxid, epoch)
	if err == nil {
		r.o.leader.Store(id)
	}
	return id, err
}

// recordLeader wraps the elector so the AdminServer knows the current leader.
func (s *Server) recordLeader(el quorum.Elector) quorum.Elector {
	return leaderRecorder{Elector: el, o: s.ops}
}

// StorageObservers are the hooks storage.Options.ObserveFsync and ObserveBatch should call
// (Java's fsynctime and sync_processor_batch_size, and zkgo's fsync and group-commit
// histograms).
func (s *Server) StorageObservers() (fsync func(time.Duration), batch func(entries, bytes int)) {
	return s.ops.metrics.ObserveFsync, s.ops.metrics.ObserveBatch
}

// startOps starts the AdminServer (unless admin.enableServer=false) and the Prometheus
// endpoint (with the Prometheus provider). Like Java, a port that cannot be bound fails the
// start.
func (s *Server) startOps() error {
	cfg, o := s.Config, s.ops
	if cfg.MetricsProvider != "" && cfg.MetricsProvider != PrometheusProvider && cfg.MetricsProvider != defaultProvider {
		s.Logger.Warn("metricsProvider.className is not a provider zkgo has; using the default provider", "className", cfg.MetricsProvider)
	}
	if cfg.AdminEnabled {
		mux := http.NewServeMux()
		mux.Handle("/", o.srv.Handler())
		addr := net.JoinHostPort(cfg.AdminAddress, strconv.Itoa(cfg.AdminPort))
		if err := o.serve("AdminServer", addr, mux); err != nil {
			return fmt.Errorf("admin: problem starting AdminServer on address %s, port %d and command URL %s: %w", cfg.AdminAddress, cfg.AdminPort, o.srv.CommandURL, err)
		}
	}
	if o.metrics.Prometheus {
		export := true
		if v, ok := cfg.Prop("metricsProvider.exportJvmInfo"); ok {
			export = !strings.EqualFold(strings.TrimSpace(v), "false")
		}
		h := o.metrics.PrometheusHandler(o, len(cfg.Servers) > 0, export)
		addr := net.JoinHostPort(cfg.MetricsHost, strconv.Itoa(cfg.MetricsPort))
		if err := o.serve("/metrics", addr, h); err != nil {
			o.stop()
			return fmt.Errorf("metrics: cannot start /metrics server on %s: %w", addr, err)
		}
	}
	s.stops = append(s.stops, o.stop)
	return nil
}

func (o *ops) serve(what, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second}
	o.https = append(o.https, hs)
	o.addrs[what] = ln.Addr().String()
	o.s.Logger.Info("started "+what, "addr", ln.Addr().String())
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.s.Logger.Error(what+" stopped", "err", err)
		}
	}()
	return nil
}

func (o *ops) stop() {
	for _, h := range o.https {
		h.Close()
	}
}

// AdminAddrs are the bound addresses of the AdminServer and the /metrics endpoint ("" when
// off); with port 0 in zoo.cfg they tell which port was taken.
func (s *Server) AdminAddrs() (adminAddr, metricsAddr string) {
	return s.ops.addrs["AdminServer"], s.ops.addrs["/metrics"]
}

// do runs f on the node loop; false when the node has stopped.
func (o *ops) do(f func()) bool { return o.s.Node.Do(f) }

// Serving implements admin.Backend.
func (o *ops) Serving() bool {
	serving := false
	o.do(func() { serving = o.s.Node.Serving() && o.s.Node.Role() != node.RoleLooking })
	return serving
}

func roleMode(r node.Role) string {
	switch r {
	case node.RoleLeader:
		return "leader"
	case node.RoleFollower:
		return "follower"
	case node.RoleObserver:
		return "observer"
	}
	return "standalone"
}

// Stats implements admin.Backend.
func (o *ops) Stats() admin.ServerStats {
	n := o.s.Node
	var st admin.ServerStats
	o.do(func() {
		st.LastZxid = n.Tree().LastZxid
		st.NodeCount = javaNodeCount(n.Tree())
		st.Outstanding = int64(n.Outstanding())
		st.Mode = roleMode(n.Role())
	})
	ns := &n.Stats
	st.MinLatency = ns.MinLatency.Load()
	st.MaxLatency = ns.MaxLatency.Load()
	if c := ns.Count.Load(); c > 0 {
		st.AvgLatency = float64(ns.TotalLatency.Load()) / float64(c)
		st.AvgLatency = float64(int64(st.AvgLatency*10000+0.5)) / 10000
	}
	st.PacketsReceived = ns.Received.Load()
	st.PacketsSent = ns.Sent.Load()
	st.NumAliveConnections = o.s.Client.Connections()
	st.Uptime = time.Since(o.s.started)
	st.DataDirSize, st.LogDirSize = o.dirSizes()
	return st
}

// snapDir and logDir are Java's FileTxnSnapLog dirs: <dataDir>/version-2, <dataLogDir>/version-2.
func (o *ops) snapDir() string { return versionDir(o.s.Config.DataDir) }
func (o *ops) logDir() string  { return versionDir(o.s.Config.DataLogDir) }

func versionDir(d string) string {
	if a, err := filepath.Abs(d); err == nil {
		d = a
	}
	return filepath.Join(d, "version-2")
}

// dirSizes is ZooKeeperServer.getDataDirSize / getLogDirSize: the bytes of the files under
// each dir.
func (o *ops) dirSizes() (data, log int64) {
	return dirSize(o.snapDir()), dirSize(o.logDir())
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// clientPort is the port the client listener is bound to.
func (o *ops) clientPort() int {
	if a, ok := o.s.ln.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return o.s.Config.ClientPort
}

func (o *ops) myID() int64 {
	if o.s.Peer != nil {
		return o.s.Peer.MyID
	}
	return 0
}

// Conf implements admin.Backend.
func (o *ops) Conf() admin.Conf {
	cfg := o.s.Config
	c := admin.Conf{
		ClientPort:              o.clientPort(),
		SecureClientPort:        -1,
		DataDir:                 o.snapDir(),
		DataLogDir:              o.logDir(),
		TickTime:                cfg.TickTime.Milliseconds(),
		MaxClientCnxns:          cfg.MaxClientCnxns,
		MinSessionTimeout:       cfg.MinSessionTimeout.Milliseconds(),
		MaxSessionTimeout:       cfg.MaxSessionTimeout.Milliseconds(),
		ClientPortListenBacklog: -1,
		ServerID:                o.myID(),
	}
	if v, ok := cfg.Props["clientPortListenBacklog"]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			c.ClientPortListenBacklog = n
		}
	}
	if v, ok := cfg.Props["secureClientPort"]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			c.SecureClientPort = n
		}
	}
	c.DataDirSize, c.LogDirSize = o.dirSizes()
	if len(cfg.Servers) > 0 {
		q := &admin.QuorumConf{InitLimit: cfg.InitLimit, SyncLimit: cfg.SyncLimit, ElectionAlg: 3, Membership: membership(cfg)}
		if self, ok := serverLine(cfg, o.myID()); ok {
			q.ElectionPort = strconv.Itoa(self.ElectionPort)
			q.QuorumPort = strconv.Itoa(self.QuorumPort)
			if self.Observer {
				q.PeerType = 1
			}
		}
		c.Quorum = q
	}
	return c
}

// membership is the QuorumVerifier text: server lines, then version=<hex> (no final newline).
func membership(cfg *config.Config) string {
	var b strings.Builder
	for _, sv := range cfg.Servers {
		role := "participant"
		if sv.Observer {
			role = "observer"
		}
		fmt.Fprintf(&b, "server.%d=%s:%d:%d:%s", sv.ID, sv.Host, sv.QuorumPort, sv.ElectionPort, role)
		if sv.HasClientAddr {
			fmt.Fprintf(&b, ";%s:%d", sv.ClientHost, sv.ClientPort)
		}
		b.WriteByte('\n')
	}
	b.WriteString("version=0")
	return b.String()
}

// javaOps maps zkgo's opcode names to the lop codes of Java's FinalRequestProcessor.
var javaOps = func() map[string]string {
	m := map[string]string{}
	for op, code := range map[wire.Op]string{
		wire.OpPing: "PING", wire.OpCreateSession: "SESS", wire.OpMulti: "MULT", wire.OpMultiRead: "MLTR",
		wire.OpCreate: "CREA", wire.OpCreate2: "CREA", wire.OpCreateTTL: "CREA", wire.OpCreateContainer: "CREA",
		wire.OpDelete: "DELE", wire.OpDeleteContainer: "DELE", wire.OpSetData: "SETD", wire.OpReconfig: "RECO",
		wire.OpSetACL: "SETA", wire.OpCloseSession: "CLOS", wire.OpSync: "SYNC", wire.OpCheck: "CHEC",
		wire.OpExists: "EXIS", wire.OpGetData: "GETD", wire.OpSetWatches: "SETW", wire.OpSetWatches2: "STW2",
		wire.OpAddWatch: "ADDW", wire.OpGetACL: "GETA", wire.OpGetChildren: "GETC", wire.OpGetChildren2: "GETC",
		wire.OpGetAllChildrenNumber: "GETACN", wire.OpCheckWatches: "CHKW", wire.OpRemoveWatches: "REMW",
		wire.OpWhoAmI: "HOMI", wire.OpGetEphemerals: "GETE",
	} {
		m[op.String()] = code
	}
	return m
}()

func lop(name string) string {
	if c, ok := javaOps[name]; ok {
		return c
	}
	return "NA"
}

// sessionlessCnxnTimeout is zookeeper.nio.sessionlessCnxnTimeout, the NIO factory's expiry
// interval for connections.
const sessionlessCnxnTimeout = 10000

// Connections implements admin.Backend.
func (o *ops) Connections() []admin.Conn {
	conns := o.s.Client.List()
	out := make([]admin.Conn, len(conns))
	n := o.s.Node
	o.do(func() {
		for i, c := range conns {
			x := admin.Conn{Remote: c.RemoteAddr(), Received: c.FramesRead(), LastOp: "NA", LastCxid: -1, LastZxid: -1}
			last := c.Opened().UnixMilli()
			timeout := int64(sessionlessCnxnTimeout)
			if cl := n.ClientOf(c); cl != nil {
				x.InterestOps = 1
				x.Received, x.Sent = cl.Received, cl.Sent
				x.SessionID = cl.SessionID()
				x.Queued = int64(n.Queued(x.SessionID))
				if cl.LastOp != "" {
					x.LastOp = lop(cl.LastOp)
				}
				x.Established = cl.Established
				x.Timeout = cl.Timeout()
				x.LastCxid = cl.LastCxid
				if cl.Count > 0 || cl.LastZxid != 0 {
					x.LastZxid = cl.LastZxid
				}
				x.LastResp = cl.LastResponse
				x.LastLatency = cl.LastLatency
				x.MinLatency, x.MaxLatency = cl.MinLatency, cl.MaxLatency
				if cl.Count > 0 {
					x.AvgLatency = cl.TotalLatency / cl.Count
				}
				if cl.LastResponse > last {
					last = cl.LastResponse
				}
				if x.Timeout > 0 {
					timeout = int64(x.Timeout)
				}
			}
			exp := (last+timeout)/sessionlessCnxnTimeout*sessionlessCnxnTimeout + sessionlessCnxnTimeout
			x.ExpireAt = time.UnixMilli(exp)
			out[i] = x
		}
	})
	return out
}

// SessionExpiry implements admin.Backend.
func (o *ops) SessionExpiry() []admin.ExpiryBucket {
	var out []admin.ExpiryBucket
	o.do(func() {
		by := map[int64][]int64{}
		for _, ss := range o.s.Node.Sessions().All() {
			if at := ss.ExpireAt(); at != 0 {
				by[at] = append(by[at], ss.ID)
			}
		}
		for at, ids := range by {
			slices.Sort(ids)
			out = append(out, admin.ExpiryBucket{At: time.UnixMilli(at), Sessions: ids})
		}
	})
	slices.SortFunc(out, func(a, b admin.ExpiryBucket) int { return a.At.Compare(b.At) })
	return out
}

// Ephemerals implements admin.Backend.
func (o *ops) Ephemerals() []admin.SessionPaths {
	var out []admin.SessionPaths
	o.do(func() {
		t := o.s.Node.Tree()
		for _, id := range t.EphemeralSessions() {
			ps := slices.Clone(t.Ephemerals(id))
			if len(ps) == 0 {
				continue
			}
			slices.Sort(ps)
			out = append(out, admin.SessionPaths{Session: id, Paths: ps})
		}
	})
	slices.SortFunc(out, func(a, b admin.SessionPaths) int { return cmpInt(a.Session, b.Session) })
	return out
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Watches implements admin.Backend.
func (o *ops) Watches() admin.Watches {
	var w admin.Watches
	o.do(func() {
		n := o.s.Node
		sess := map[uint64]int64{}
		for id, c := range n.Clients() {
			sess[uint64(c.Watcher())] = id
		}
		m := n.Watches()
		for wr, paths := range m.ByWatcher() {
			if id, ok := sess[uint64(wr)]; ok {
				w.BySession = append(w.BySession, admin.SessionPaths{Session: id, Paths: slices.Clone(paths)})
			}
		}
		for p, wrs := range m.ByPath() {
			ps := admin.PathSessions{Path: p}
			for _, wr := range wrs {
				if id, ok := sess[uint64(wr)]; ok {
					ps.Sessions = append(ps.Sessions, id)
				}
			}
			slices.Sort(ps.Sessions)
			w.ByPath = append(w.ByPath, ps)
		}
		_, _, w.Total = m.Stats()
	})
	slices.SortFunc(w.BySession, func(a, b admin.SessionPaths) int { return cmpInt(a.Session, b.Session) })
	slices.SortFunc(w.ByPath, func(a, b admin.PathSessions) int { return strings.Compare(a.Path, b.Path) })
	return w
}

// Digests implements admin.Backend.
func (o *ops) Digests() []admin.ZxidDigest {
	var log []node.ZxidDigest
	o.do(func() { log = o.s.Node.DigestLog() })
	out := make([]admin.ZxidDigest, len(log))
	for i, d := range log {
		out[i] = admin.ZxidDigest{Zxid: d.Zxid, Digest: d.Digest, Version: 2}
	}
	return out
}

// Gauges implements admin.Backend.
func (o *ops) Gauges() admin.Gauges {
	g := admin.Gauges{Stats: o.Stats()}
	refresh := false
	o.sizeMu.Lock()
	if time.Since(o.sizeAt) > approxSizeTTL {
		refresh = true
	}
	o.sizeMu.Unlock()
	o.do(func() {
		n := o.s.Node
		t := n.Tree()
		g.ZnodeCount = javaNodeCount(t)
		g.WatchCount = n.Watches().Total()
		for _, id := range t.EphemeralSessions() {
			g.EphemeralsCount += len(t.Ephemerals(id))
		}
		g.GlobalSessions = n.Sessions().Len()
		if refresh {
			size := approximateDataSize(t)
			o.sizeMu.Lock()
			o.sizeCached, o.sizeAt = size, time.Now()
			o.sizeMu.Unlock()
		}
		g.QuotaCountLimit, g.QuotaBytesLimit, g.QuotaCountUsage, g.QuotaBytesUsage = quotaGauges(t)
	})
	o.sizeMu.Lock()
	g.ApproximateDataSize = o.sizeCached
	o.sizeMu.Unlock()
	g.OpenFileDescriptorCount, g.MaxFileDescriptorCount = fdCounts()
	if cfg := o.s.Config; len(cfg.Servers) > 0 {
		for _, sv := range cfg.Servers {
			if !sv.Observer {
				g.Voters++
			}
		}
		var lv node.LeaderView
		leading := false
		o.do(func() { lv, leading = o.s.Node.Leader() })
		if leading {
			g.Leader = &admin.LeaderGauges{
				Learners:        len(lv.Followers) + len(lv.Observers),
				SyncedFollowers: len(lv.Followers),
				SyncedObservers: len(lv.Observers),
				PendingSyncs:    lv.PendingSyncs,
				// zkgo does not record when it took the lead; uptime bounds it.
				LeaderUptime:     g.Stats.Uptime,
				LastProposalSize: -1, MinProposalSize: -1, MaxProposalSize: -1,
				LearnerIDs: append(slices.Clone(lv.Followers), lv.Observers...),
			}
		}
	}
	return g
}

// javaNodeCount is DataTree.getNodeCount: Java's node map holds the root twice (as "" and
// "/"), so its count is one more than the number of znodes.
func javaNodeCount(t *datatree.Tree) int { return t.NodeCount() + 1 }

// approxSizeTTL bounds how stale approximate_data_size may be: Java keeps it up to date
// incrementally; zkgo walks the tree, at most once per TTL.
const approxSizeTTL = 5 * time.Second

// approximateDataSize is DataTree.approximateDataSize: path length plus data length of every
// node.
func approximateDataSize(t *datatree.Tree) int64 {
	var size int64
	var walk func(p string)
	walk = func(p string) {
		nd := t.Get(p)
		if nd == nil {
			return
		}
		size += int64(len(p) + len(nd.Data))
		for _, c := range nd.Children() {
			walk(datatree.Join(p, c))
		}
	}
	walk("/")
	// Java's DataTree holds the root twice, as "" and "/" (the "" entry has no length but the
	// root's data).
	if nd := t.Get("/"); nd != nil {
		size += int64(len(nd.Data))
	}
	return size
}

// quotaGauges are QuotaMetricsUtils' four gauge sets: per top namespace, the limits (hard
// limit if set) and the usage recorded under /zookeeper/quota.
func quotaGauges(t *datatree.Tree) (countLimit, bytesLimit, countUsage, bytesUsage map[string]int64) {
	countLimit, bytesLimit, countUsage, bytesUsage = map[string]int64{}, map[string]int64{}, map[string]int64{}, map[string]int64{}
	var walk func(p string)
	walk = func(p string) {
		nd := t.Get(p)
		if nd == nil {
			return
		}
		kids := nd.Children()
		if len(kids) > 0 {
			for _, c := range kids {
				walk(datatree.Join(p, c))
			}
			return
		}
		limits := strings.HasSuffix(p, "/zookeeper_limits")
		stats := strings.HasSuffix(p, "/zookeeper_stats")
		if !limits && !stats || nd.Data == nil {
			return
		}
		trimmed := strings.TrimPrefix(p, datatree.QuotaPath)
		parts := strings.Split(trimmed, "/")
		if len(parts) < 2 {
			return
		}
		ns := parts[1]
		st := parseStatsTrack(string(nd.Data))
		get := func(k string) int64 {
			if v, ok := st[k]; ok {
				return v
			}
			return -1
		}
		if limits {
			c, b := get("count"), get("bytes")
			if h := get("countHardLimit"); h > -1 {
				c = h
			}
			if h := get("byteHardLimit"); h > -1 {
				b = h
			}
			countLimit[ns] += c
			bytesLimit[ns] += b
		} else {
			countUsage[ns] += get("count")
			bytesUsage[ns] += get("bytes")
		}
	}
	walk(datatree.QuotaPath)
	return
}

// parseStatsTrack reads StatsTrack's "count=1,bytes=10[,countHardLimit=..,byteHardLimit=..]".
func parseStatsTrack(s string) map[string]int64 {
	m := map[string]int64{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			m[strings.TrimSpace(k)] = n
		}
	}
	return m
}

// fdCounts are the open and maximum file descriptors (OSMXBean), -1 when unknown.
func fdCounts() (open, max int64) {
	open, max = -1, -1
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		open = int64(len(ents))
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil {
		max = int64(rl.Cur)
	}
	return open, max
}

// StorageStats implements admin.StorageSource.
func (o *ops) StorageStats() (admin.StorageStats, bool) {
	if o.store == nil {
		return admin.StorageStats{}, false
	}
	st := o.store.Stats()
	return admin.StorageStats{
		Appends: st.Appends, AppendBytes: st.AppendBytes, Batches: st.Batches, BatchMax: st.BatchMax,
		Fsyncs: st.Fsyncs, FsyncTotal: st.FsyncTotal, FsyncMax: st.FsyncMax, LogRolls: st.LogRolls,
		Snapshots: st.Snapshots, SnapshotLast: st.SnapshotLast, SnapshotBytes: st.SnapshotSize, Queued: st.Queued,
	}, true
}

// ResetConnectionStats implements admin.Backend (crst).
func (o *ops) ResetConnectionStats() {
	o.do(func() {
		for _, c := range o.s.Node.Clients() {
			c.ResetStats()
		}
	})
}

// ResetServerStats implements admin.Backend (srst): latency and packet counters.
func (o *ops) ResetServerStats() {
	o.do(func() {
		st := &o.s.Node.Stats
		st.MinLatency.Store(0)
		st.MaxLatency.Store(0)
		st.TotalLatency.Store(0)
		st.Count.Store(0)
		st.Received.Store(0)
		st.Sent.Store(0)
	})
}

// InitialConfig implements admin.Backend: the zoo.cfg text the server started from.
func (o *ops) InitialConfig() string { return o.s.Config.Text }

// LastSnapshot implements admin.Backend: the newest snapshot file in the snapshot dir.
func (o *ops) LastSnapshot() (int64, int64, bool) {
	ents, err := os.ReadDir(o.snapDir())
	if err != nil {
		return 0, 0, false
	}
	best, found := int64(-1), false
	var ts int64
	for _, e := range ents {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, "snapshot.")
		if !ok {
			continue
		}
		rest, _, _ = strings.Cut(rest, ".")
		z, err := strconv.ParseUint(rest, 16, 64)
		if err != nil || int64(z) < best {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		best, found, ts = int64(z), true, fi.ModTime().Unix()
	}
	return best, ts, found
}

// javaHandledKeys are the zoo.cfg keys QuorumPeerConfig consumes itself; every other key
// becomes the system property zookeeper.<key>.
var javaHandledKeys = map[string]bool{
	"dataDir": true, "dataLogDir": true, "clientPort": true, "localSessionsEnabled": true,
	"localSessionsUpgradingEnabled": true, "clientPortAddress": true, "secureClientPort": true,
	"secureClientPortAddress": true, "observerMasterPort": true, "clientPortListenBacklog": true,
	"tickTime": true, "maxClientCnxns": true, "minSessionTimeout": true, "maxSessionTimeout": true,
	"initLimit": true, "syncLimit": true, "connectToLearnerMasterLimit": true, "electionAlg": true,
	"quorumListenOnAllIPs": true, "peerType": true, "syncEnabled": true, "dynamicConfigFile": true,
	"autopurge.snapRetainCount": true, "autopurge.purgeInterval": true, "standaloneEnabled": true,
	"reconfigEnabled": true, "sslQuorum": true, "portUnification": true, "sslQuorumReloadCertFiles": true,
	"quorum.cnxn.threads.size": true, "metricsProvider.className": true, "multiAddress.enabled": true,
	"multiAddress.reachabilityCheckTimeoutMs": true, "multiAddress.reachabilityCheckEnabled": true,
	"oraclePath": true,
}

// SystemProperties implements admin.Backend: zookeeper.<key> for each zoo.cfg key Java turns
// into a system property, and the zookeeper.* properties from the environment.
func (o *ops) SystemProperties() map[string]string {
	p := map[string]string{}
	for k, v := range o.s.Config.Props {
		if strings.HasPrefix(k, "zookeeper.") {
			p[k] = v
		}
	}
	for _, line := range strings.Split(o.s.Config.Text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, "=: \t")
		if i < 0 {
			continue
		}
		k := line[:i]
		v := strings.TrimSpace(strings.TrimLeft(line[i:], " \t"))
		if v != "" && (v[0] == '=' || v[0] == ':') {
			v = strings.TrimSpace(v[1:])
		}
		if javaHandledKeys[k] || strings.HasPrefix(k, "server.") || strings.HasPrefix(k, "group") ||
			strings.HasPrefix(k, "weight") || strings.HasPrefix(k, "metricsProvider.") {
			continue
		}
		p["zookeeper."+k] = v
	}
	return p
}

// Quorum implements admin.Backend.
func (o *ops) Quorum() *admin.QuorumInfo {
	cfg := o.s.Config
	if len(cfg.Servers) == 0 {
		return nil
	}
	var role node.Role
	serving := false
	o.do(func() { role, serving = o.s.Node.Role(), o.s.Node.Serving() })
	q := &admin.QuorumInfo{MyID: o.myID(), IsLeader: role == node.RoleLeader, LeaderID: o.leader.Load()}
	if q.IsLeader {
		q.LeaderID = q.MyID
	}
	if lead, ok := serverLine(cfg, q.LeaderID); ok {
		q.LeaderAddress = lead.Host
	}
	for _, sv := range cfg.Servers {
		m := admin.QuorumMember{
			ID:                sv.ID,
			ServerAddresses:   []string{net.JoinHostPort(sv.Host, strconv.Itoa(sv.QuorumPort))},
			ElectionAddresses: []string{net.JoinHostPort(sv.Host, strconv.Itoa(sv.ElectionPort))},
			LearnerType:       "participant",
		}
		if sv.Observer {
			m.LearnerType = "observer"
		} else {
			q.QuorumSize++
		}
		if sv.HasClientAddr {
			m.ClientAddress = net.JoinHostPort(sv.ClientHost, strconv.Itoa(sv.ClientPort))
		}
		q.Members = append(q.Members, m)
		if sv.ID == q.MyID {
			q.QuorumAddress = m.ServerAddresses[0]
			q.ElectionAddress = m.ElectionAddresses[0]
			q.ClientAddress = net.JoinHostPort(cfg.ClientPortAddress, strconv.Itoa(o.clientPort()))
			q.Voting = !sv.Observer
		}
	}
	state := "election"
	if serving && role != node.RoleLooking {
		state = "broadcast"
	}
	q.ZabState = state
	switch role {
	case node.RoleLeader:
		q.PeerState = "leading - " + state
	case node.RoleFollower:
		q.PeerState = "following - " + state
	case node.RoleObserver:
		q.PeerState = "observing - " + state
	default:
		q.PeerState = "looking"
	}
	return q
}

// AuthorizeAdmin implements admin.Authorizer: "<scheme> <auth>" must authenticate (digest,
// ip) and hold ALL on "/" (or be the super user).
func (o *ops) AuthorizeAdmin(authInfo, remoteIP string) admin.AuthResult {
	parts := strings.Split(authInfo, " ")
	if len(parts) != 1 && len(parts) != 2 {
		return admin.AuthFailed
	}
	var data []byte
	if len(parts) == 2 {
		data = []byte(parts[1])
	}
	ids, ok := o.auth.Authenticate(parts[0], data, remoteIP)
	if !ok || len(ids) == 0 {
		return admin.AuthFailed
	}
	res := admin.AuthDenied
	o.do(func() {
		t := o.s.Node.Tree()
		if nd := t.Get("/"); nd != nil && o.auth.Check(t.ACL(nd), wire.PermAll, ids) == nil {
			res = admin.AuthOK
		}
	})
	return res
}

// EffectiveConfig lists every setting the server runs with, for the start-up log: the values
// after defaults and derivations (session timeouts from tickTime, dataLogDir from dataDir), the
// four-letter words enabled, the AdminServer and metrics endpoints, the ensemble, and the
// ZooKeeper system properties set from zoo.cfg or the environment.
func EffectiveConfig(cfg *config.Config) []slog.Attr {
	words := make([]string, 0, len(cfg.FourLetterWords)+1)
	for w, on := range cfg.FourLetterWords {
		if on {
			words = append(words, w)
		}
	}
	if !slices.Contains(words, "srvr") {
		words = append(words, "srvr")
	}
	slices.Sort(words)
	provider := cfg.MetricsProvider
	if provider == "" {
		provider = defaultProvider
	}
	attrs := []slog.Attr{
		slog.String("version", FullVersion()),
		slog.String("config", cfg.Path),
		slog.Int("clientPort", cfg.ClientPort),
		slog.String("clientPortAddress", cfg.ClientPortAddress),
		slog.String("dataDir", cfg.DataDir),
		slog.String("dataLogDir", cfg.DataLogDir),
		slog.Int64("tickTime", cfg.TickTime.Milliseconds()),
		slog.Int("initLimit", cfg.InitLimit),
		slog.Int("syncLimit", cfg.SyncLimit),
		slog.Int("maxClientCnxns", cfg.MaxClientCnxns),
		slog.Int64("minSessionTimeout", cfg.MinSessionTimeout.Milliseconds()),
		slog.Int64("maxSessionTimeout", cfg.MaxSessionTimeout.Milliseconds()),
		slog.Int("snapCount", cfg.SnapCount),
		slog.Int64("preAllocSizeKB", cfg.PreAllocSizeKB),
		slog.Bool("forceSync", cfg.ForceSync),
		slog.Int("autopurge.snapRetainCount", cfg.AutopurgeRetain),
		slog.Int("autopurge.purgeInterval", cfg.AutopurgeInterval),
		slog.String("4lw.commands.whitelist", strings.Join(words, ",")),
		slog.Group("admin", "enableServer", cfg.AdminEnabled, "serverAddress", cfg.AdminAddress, "serverPort", cfg.AdminPort),
		slog.Group("metricsProvider", "className", provider, "httpHost", cfg.MetricsHost, "httpPort", cfg.MetricsPort),
	}
	if len(cfg.Servers) > 0 {
		var servers []any
		for _, sv := range cfg.Servers {
			role := "participant"
			if sv.Observer {
				role = "observer"
			}
			v := fmt.Sprintf("%s:%d:%d:%s", sv.Host, sv.QuorumPort, sv.ElectionPort, role)
			if sv.HasClientAddr {
				v += fmt.Sprintf(";%s:%d", sv.ClientHost, sv.ClientPort)
			}
			servers = append(servers, slog.String("server."+strconv.FormatInt(sv.ID, 10), v))
		}
		attrs = append(attrs, slog.String("peerType", cfg.PeerType), slog.Bool("standaloneEnabled", cfg.StandaloneEnabled), slog.Group("quorum", servers...))
	}
	if len(cfg.Props) > 0 {
		var props []any
		for _, f := range sortedProps(cfg.Props) {
			props = append(props, slog.String(f[0], f[1]))
		}
		attrs = append(attrs, slog.Group("properties", props...))
	}
	if len(cfg.Unknown) > 0 {
		attrs = append(attrs, slog.String("ignored", strings.Join(cfg.Unknown, ",")))
	}
	return attrs
}

func sortedProps(m map[string]string) [][2]string {
	out := make([][2]string, 0, len(m))
	for k, v := range m {
		out = append(out, [2]string{k, v})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out
}
