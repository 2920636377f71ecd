// Package zkserver assembles a zkgo server from a zoo.cfg: storage, the node loop, the client
// port, four-letter words, the AdminServer and metrics.
package zkserver

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/conn"
	"github.com/zkgo/zkgo/server/datatree"
	"github.com/zkgo/zkgo/server/node"
	"github.com/zkgo/zkgo/server/quorum"
)

// Version is the ZooKeeper release zkgo answers as, and zkgo's own tag.
const (
	CompatVersion = "3.9.3"
	Version       = CompatVersion + "-zkgo"
)

// Server is a running zkgo server.
type Server struct {
	Config *config.Config
	Node   *node.Node
	Client *conn.Server
	Peer   *quorum.Peer // quorum mode only
	Logger *slog.Logger

	ops *ops // four-letter words, AdminServer, metrics (admin.go)

	ln   net.Listener
	myID int64
	// clientMu guards Client while Start sets it against a reconfig's followClientAddr, and
	// clientLine: this server's line as the client port last followed it.
	clientMu   sync.Mutex
	clientLine config.Server
	closers    []func() // after the node stops (storage)
	stops      []func() // before (quorum peer, elector)
	wg         sync.WaitGroup
	started    time.Time
	once       sync.Once
}

// Options beyond zoo.cfg.
type Options struct {
	Logger *slog.Logger
	// Listener, when set, is used for the client port instead of listening on the config's.
	Listener net.Listener
	// Elector runs elections in quorum mode (default: FastLeaderElection on the election port).
	Elector quorum.Elector
}

// Start brings a standalone server up and returns once it accepts clients.
func Start(cfg *config.Config, o Options) (*Server, error) {
	start := time.Now()
	lg := o.Logger
	if lg == nil {
		lg = slog.Default()
	}
	for _, k := range cfg.Unknown {
		lg.Info("zoo.cfg key has no effect in zkgo (kept as a property)", "key", k)
	}
	maxBuf := jute.DefaultMaxBuffer
	if v, ok := cfg.Props["jute.maxbuffer"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("config: jute.maxbuffer=%q is not a positive number", v)
		}
		maxBuf = n
	}
	nopts := node.Options{
		TickTime:          cfg.TickTime,
		MinSessionTimeout: cfg.MinSessionTimeout,
		MaxSessionTimeout: cfg.MaxSessionTimeout,
		MaxBuffer:         maxBuf,
		ExtendedTypes:     cfg.BoolProp("extendedTypesEnabled"),
		SkipACL:           cfg.BoolProp("skipACL"),
		Digest:            digestEnabled(cfg),
		Logger:            lg,
		ReconfigEnabled:   cfg.ReconfigEnabled,
		StandaloneEnabled: cfg.StandaloneEnabled,
	}
	nopts.SuperDigest, _ = cfg.Prop("DigestAuthenticationProvider.superDigest")
	if v, ok := cfg.Prop("znode.container.checkIntervalMs"); ok {
		if ms, err := strconv.Atoi(v); err == nil && ms > 0 {
			nopts.ContainerInterval = time.Duration(ms) * time.Millisecond
		}
	}
	s := &Server{Config: cfg, Logger: lg, started: start}
	s.initOps(&nopts)
	restore, err := openStorage(cfg, lg, s.ops.metrics.ObserveFsync, s.ops.metrics.ObserveBatch)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, restore.close)
	s.ops.store = restore.store
	tree := restore.tree
	quorumMode := cfg.Quorum()
	if quorumMode {
		if nopts.MyID, err = config.ReadMyID(cfg.DataDir); err != nil {
			return nil, err
		}
		self, ok := serverLine(cfg, nopts.MyID)
		if !ok {
			return nil, fmt.Errorf("config: myid %d has no server.%d line", nopts.MyID, nopts.MyID)
		}
		s.myID, s.clientLine = nopts.MyID, self
		if self.HasClientAddr {
			cfg.ClientPort = self.ClientPort
			if cfg.ClientPortAddress == "" && self.ClientHost != "0.0.0.0" {
				cfg.ClientPortAddress = self.ClientHost
			}
		}
	}
	if quorumMode {
		nopts.OnActivate = func(v *config.Verifier) {
			if s.Peer != nil {
				s.Peer.Activated(v)
			}
			s.followClientAddr(v)
		}
	}
	s.Node = node.New(nopts, tree, restore.store)
	s.Node.SetReload(func(zxid int64) (*datatree.Tree, map[int64]int32, error) {
		return reloadAt(cfg, lg, restore.store, zxid)
	})
	s.Node.RestoreSessions(restore.sessions)
	s.Node.SeedCommitLog(restore.recent)
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.Node.Run() }()
	if quorumMode {
		s.Node.Do(func() {
			s.Node.InitConfig(cfg.Verifier())
			s.Node.SetRole(node.RoleLooking, nil)
		})
		el := o.Elector
		if el == nil {
			if el, err = newElector(cfg, nopts.MyID, lg); err != nil {
				s.Node.Stop()
				return nil, err
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		s.Peer = &quorum.Peer{Cfg: cfg, MyID: nopts.MyID, Node: s.Node, Elector: s.recordLeader(el), Logger: lg}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.Peer.Run(ctx); err != nil {
				lg.Error("quorum peer stopped", "err", err)
			}
		}()
		s.stops = append(s.stops, cancel)
		if c, ok := el.(interface{ Close() error }); ok {
			s.stops = append(s.stops, func() { c.Close() })
		}
	}

	ln := o.Listener
	if ln == nil {
		addr := net.JoinHostPort(cfg.ClientPortAddress, strconv.Itoa(cfg.ClientPort))
		if ln, err = net.Listen("tcp", addr); err != nil {
			s.Node.Stop()
			return nil, fmt.Errorf("client port: %w", err)
		}
	}
	s.ln = ln
	s.clientMu.Lock()
	s.Client = &conn.Server{Node: s.Node, MaxBuffer: maxBuf, MaxClientCnxns: cfg.MaxClientCnxns, Logger: lg}
	s.clientMu.Unlock()
	s.Client.FourLetter = s.fourLetter
	s.Client.FourLetterEnabled = s.fourLetterEnabled
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.Client.Serve(ln) }()
	if err := s.startOps(); err != nil {
		s.Close()
		return nil, err
	}
	lg.Info("serving", "addr", ln.Addr().String(), "startup", time.Since(start).String(), "zxid", "0x"+strconv.FormatInt(tree.LastZxid, 16))
	return s, nil
}

// Addr is the client address.
func (s *Server) Addr() string {
	if s.Client != nil {
		if a := s.Client.Addr(); a != nil {
			return a.String()
		}
	}
	return s.ln.Addr().String()
}

// followClientAddr moves the client port when an activated config gives this server another
// client address (QuorumPeer.processReconfig): a new listener, the old one closed, open
// connections kept. A config without a client address for this server leaves the port alone
// (Java closes it only when the address did not come from the static clientPort; here it
// always does). If the new address cannot be bound, the old one keeps serving (Java then has
// no client port at all). Runs inside a node step.
func (s *Server) followClientAddr(v *config.Verifier) {
	s.clientMu.Lock()
	defer s.clientMu.Unlock()
	self, ok := v.Member(s.myID)
	if !ok || !self.HasClientAddr || s.Client == nil {
		return
	}
	if s.clientLine.HasClientAddr && self.ClientHost == s.clientLine.ClientHost && self.ClientPort == s.clientLine.ClientPort {
		return
	}
	host := self.ClientHost
	if host == "0.0.0.0" {
		host = ""
	}
	addr := net.JoinHostPort(host, strconv.Itoa(self.ClientPort))
	if cur := s.Client.Addr(); cur != nil && cur.String() == addr {
		s.clientLine = self
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.Logger.Error("reconfig: cannot move the client port; the old one keeps serving", "addr", addr, "err", err)
		return
	}
	s.clientLine = self
	s.Logger.Info("reconfig: client port moved", "addr", ln.Addr().String())
	s.Client.Rebind(ln)
}

// Close stops the server.
func (s *Server) Close() {
	s.once.Do(func() {
		for _, f := range s.stops {
			f()
		}
		s.Client.Close()
		s.Node.Stop()
		s.wg.Wait()
		for i := len(s.closers) - 1; i >= 0; i-- {
			s.closers[i]()
		}
	})
}

func serverLine(cfg *config.Config, id int64) (config.Server, bool) {
	for _, sv := range cfg.Servers {
		if sv.ID == id {
			return sv, true
		}
	}
	return config.Server{}, false
}

// digestEnabled is zookeeper.digest.enabled (default true): TxnDigest on every txn.
func digestEnabled(cfg *config.Config) bool {
	v, ok := cfg.Prop("digest.enabled")
	return !ok || v != "false"
}
