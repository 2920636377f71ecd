package admin

import "time"

// Backend is the server the operations surface reads. zkserver implements it over the node
// loop (each method takes one consistent look, inside node.Do) and the client transport.
// Methods may be called from any goroutine.
type Backend interface {
	// Serving reports whether the server answers clients (Java's isRunning); false during an
	// election or sync. Most commands then print "not currently serving".
	Serving() bool
	// Stats are the srvr numbers.
	Stats() ServerStats
	// Conf is the effective configuration (conf, configuration).
	Conf() Conf
	// Connections lists the client-port connections (cons, stat), this one included.
	Connections() []Conn
	// SessionExpiry lists the session tracker's expiry buckets, earliest first.
	SessionExpiry() []ExpiryBucket
	// Ephemerals lists the sessions owning ephemeral nodes, by session id.
	Ephemerals() []SessionPaths
	// Watches lists the data watches (wchc, wchp, wchs; Java dumps the data-watch table only).
	Watches() Watches
	// Digests is the digest log (hash): one entry every 128 zxids, oldest first.
	Digests() []ZxidDigest
	// Gauges are the values behind the Java gauges of mntr and /metrics.
	Gauges() Gauges
	// ResetConnectionStats is crst.
	ResetConnectionStats()
	// ResetServerStats is srst (latency and packet counters).
	ResetServerStats()
	// InitialConfig is the zoo.cfg text the server started from.
	InitialConfig() string
	// LastSnapshot is the newest snapshot's zxid and its time (seconds since the epoch), or
	// ok=false when there is none.
	LastSnapshot() (zxid int64, unixSeconds int64, ok bool)
	// SystemProperties are the ZooKeeper system properties set from zoo.cfg and the
	// environment ("zookeeper.*").
	SystemProperties() map[string]string
	// Quorum describes this server's place in an ensemble; nil when standalone.
	Quorum() *QuorumInfo
}

// ServerStats are the numbers of srvr/stat (Java's ServerStats).
type ServerStats struct {
	MinLatency, MaxLatency int64 // ms
	AvgLatency             float64
	PacketsReceived        int64
	PacketsSent            int64
	NumAliveConnections    int
	Outstanding            int64
	LastZxid               int64
	Mode                   string // standalone, leader, follower, observer, read-only
	NodeCount              int
	ReadOnly               bool
	Uptime                 time.Duration
	DataDirSize            int64
	LogDirSize             int64
}

// Conf is the configuration conf prints (ZooKeeperServer.dumpConf).
type Conf struct {
	ClientPort              int
	SecureClientPort        int // -1 when unset
	DataDir                 string
	DataLogDir              string
	DataDirSize, LogDirSize int64
	TickTime                int64 // ms
	MaxClientCnxns          int
	MinSessionTimeout       int64 // ms
	MaxSessionTimeout       int64 // ms
	ClientPortListenBacklog int   // -1 when unset
	ServerID                int64
	// Quorum only (conf prints them after serverId).
	Quorum *QuorumConf
}

// QuorumConf is the quorum part of conf.
type QuorumConf struct {
	InitLimit, SyncLimit int
	ElectionAlg          int
	ElectionPort         string // ports joined by "|"
	QuorumPort           string
	PeerType             int // 0 participant, 1 observer
	Membership           string
}

// QuorumInfo is what the quorum commands (leader, zabstate, voting_view) show.
type QuorumInfo struct {
	MyID            int64
	IsLeader        bool
	LeaderID        int64
	LeaderAddress   string
	QuorumAddress   string
	ElectionAddress string
	ClientAddress   string
	Voting          bool
	ZabState        string // discovery, synchronization, broadcast, election
	PeerState       string // mntr's zk_peer_state, e.g. "following - broadcast"
	QuorumSize      int
	Members         []QuorumMember
}

// QuorumMember is one server of the voting view.
type QuorumMember struct {
	ID                int64
	ServerAddresses   []string
	ElectionAddresses []string
	ClientAddress     string
	LearnerType       string
}

// Conn is one client connection (ServerCnxn.dumpConnectionInfo / getConnectionInfo).
type Conn struct {
	Remote      string // "127.0.0.1:40123"
	InterestOps int
	Queued      int64
	Received    int64
	Sent        int64
	SessionID   int64 // 0: no session (a four-letter word or a handshake under way)
	LastOp      string
	Established time.Time
	Timeout     int32
	LastCxid    int64
	LastZxid    int64
	LastResp    int64 // ms
	LastLatency int64
	MinLatency  int64
	AvgLatency  int64
	MaxLatency  int64
	// ExpireAt is when the connection would expire (the NIO factory's expiry queue).
	ExpireAt time.Time
}

// ExpiryBucket is one bucket of the session tracker.
type ExpiryBucket struct {
	At       time.Time
	Sessions []int64
}

// SessionPaths is one session's ephemeral nodes, sorted.
type SessionPaths struct {
	Session int64
	Paths   []string
}

// Watches is the data-watch table.
type Watches struct {
	BySession []SessionPaths // sorted by session
	ByPath    []PathSessions // sorted by path
	Total     int
}

// PathSessions is one watched path and its watchers' sessions.
type PathSessions struct {
	Path     string
	Sessions []int64
}

// ZxidDigest is one digest-log entry.
type ZxidDigest struct {
	Zxid    int64
	Digest  uint64
	Version int
}

// Gauges are the values of Java's registered gauges.
type Gauges struct {
	Stats                   ServerStats
	ZnodeCount              int
	WatchCount              int // data + child watches
	EphemeralsCount         int
	ApproximateDataSize     int64
	GlobalSessions          int
	LocalSessions           int
	OpenFileDescriptorCount int64
	MaxFileDescriptorCount  int64
	// Quotas per namespace (gauge sets), keyed by namespace.
	QuotaCountLimit, QuotaBytesLimit, QuotaCountUsage, QuotaBytesUsage map[string]int64
	// Voters is the number of voting members (quorum_size; quorum mode only).
	Voters int
	// Leader only.
	Leader *LeaderGauges
}

// LeaderGauges are the leader's extra gauges.
type LeaderGauges struct {
	Learners, SyncedFollowers, SyncedNonVotingFollowers, SyncedObservers, PendingSyncs int
	LeaderUptime                                                                       time.Duration
	LastProposalSize, MaxProposalSize, MinProposalSize                                 int64
	// LearnerIDs key the leader's learner_handler_* summary sets.
	LearnerIDs []int64
}

// StorageStats are the txn log and snapshot counters (storage.Stats), exported as zkgo_*
// metrics.
type StorageStats struct {
	Appends, AppendBytes, Batches, BatchMax, Fsyncs, LogRolls, Snapshots, SnapshotBytes int64
	FsyncTotal, FsyncMax, SnapshotLast                                                  time.Duration
	Queued                                                                              int
}

// StorageSource is implemented by a Backend with a data directory.
type StorageSource interface {
	StorageStats() (StorageStats, bool)
}
