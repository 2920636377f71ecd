package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/election"
	"github.com/zkgo/zkgo/wire"
)

// DefaultTick is the election core's tick: with it the default tick counts of package
// election are FastLeaderElection's 200 ms and 60 s.
const DefaultTick = 10 * time.Millisecond

// ElectorConfig sets up an Elector.
type ElectorConfig struct {
	MyID    int64
	Servers []config.Server // every server.N line, this server's included
	// ConfigVersion is the version written in the config text of notifications: 0 for a
	// static zoo.cfg, as Java sends it. Never more than the ensemble's.
	ConfigVersion int64
	// Timing; zero means Java's defaults (200 ms, 200 ms, 60 s) on a DefaultTick clock.
	Tick                    time.Duration
	FinalizeWait            time.Duration
	MinNotificationInterval time.Duration
	MaxNotificationInterval time.Duration
	// Connections; zero means the Transport defaults.
	ConnectTimeout   time.Duration
	HandshakeTimeout time.Duration
	BindRetry        int
	Logger           *slog.Logger
}

// ElectorConfigFrom takes the servers and the election settings of a parsed zoo.cfg: the
// system properties zookeeper.fastleader.minNotificationInterval and
// maxNotificationInterval, zookeeper.cnxTimeout, zookeeper.electionPortBindRetry and
// zookeeper.quorumCnxnTimeoutMs (else tickTime*syncLimit) for the handshake.
func ElectorConfigFrom(c *config.Config, myid int64, lg *slog.Logger) (ElectorConfig, error) {
	ec := ElectorConfig{MyID: myid, Servers: c.Servers, Logger: lg}
	ms := func(name string) (time.Duration, error) {
		v, ok := c.Prop(name)
		if !ok {
			return 0, nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("transport: %s=%q is not a number of milliseconds", name, v)
		}
		return time.Duration(n) * time.Millisecond, nil
	}
	var err error
	if ec.MinNotificationInterval, err = ms("zookeeper.fastleader.minNotificationInterval"); err != nil {
		return ec, err
	}
	if ec.MaxNotificationInterval, err = ms("zookeeper.fastleader.maxNotificationInterval"); err != nil {
		return ec, err
	}
	if ec.ConnectTimeout, err = ms("zookeeper.cnxTimeout"); err != nil {
		return ec, err
	}
	if ec.HandshakeTimeout, err = ms("zookeeper.quorumCnxnTimeoutMs"); err != nil {
		return ec, err
	}
	if ec.HandshakeTimeout == 0 && c.SyncLimit > 0 {
		ec.HandshakeTimeout = c.TickTime * time.Duration(c.SyncLimit)
	}
	if v, ok := c.Prop("zookeeper.electionPortBindRetry"); ok {
		if ec.BindRetry, err = strconv.Atoi(strings.TrimSpace(v)); err != nil {
			return ec, fmt.Errorf("transport: zookeeper.electionPortBindRetry=%q is not a number", v)
		}
		if ec.BindRetry == 0 {
			ec.BindRetry = math.MaxInt32 // 0 means retry forever in Java
		}
	}
	return ec, nil
}

// ConfigText renders the QuorumVerifier text Java 3.5+ puts in notifications for these server
// lines (QuorumMaj.toString): "server.N=host:quorumPort:electionPort:participant|observer",
// then ";clientHost:clientPort" when the line gave a client address, one per line by sid, then
// "version=<hex>" with no newline.
func ConfigText(servers []config.Server, version int64) []byte {
	return []byte(config.NewVerifier(servers, version).Text())
}

// Elector runs FastLeaderElection for one server over the election port: the pure core of
// package election, driven by one goroutine, on a Transport. See the package doc for the
// contract.
type Elector struct {
	cfg  ElectorConfig
	log  *slog.Logger
	tr   *Transport
	core *election.Election // owned by the loop goroutine

	observer bool

	reqs    chan func()
	closing chan struct{}
	stopped chan struct{}
	started bool

	waiter chan election.Decision // loop-owned: the LookForLeader waiting for a decision
}

// NewElector checks the configuration and builds an Elector; Start listens.
func NewElector(cfg ElectorConfig) (*Elector, error) {
	if cfg.Tick <= 0 {
		cfg.Tick = DefaultTick
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	var self *config.Server
	peers := map[int64]string{}
	var voters []int64
	for i, s := range cfg.Servers {
		addr := net.JoinHostPort(s.Host, strconv.Itoa(s.ElectionPort))
		if s.ID == cfg.MyID {
			self = &cfg.Servers[i]
		} else {
			peers[s.ID] = addr
		}
		if !s.Observer {
			voters = append(voters, s.ID)
		}
	}
	if self == nil {
		return nil, fmt.Errorf("transport: myid %d has no server.%d line", cfg.MyID, cfg.MyID)
	}
	ticks := func(d time.Duration) int {
		if d <= 0 {
			return 0
		}
		return int((d + cfg.Tick - 1) / cfg.Tick)
	}
	core := election.New(election.Config{
		ID:                      cfg.MyID,
		Voters:                  voters,
		Observer:                self.Observer,
		ConfigText:              ConfigText(cfg.Servers, cfg.ConfigVersion),
		FinalizeWait:            ticks(cfg.FinalizeWait),
		MinNotificationInterval: ticks(cfg.MinNotificationInterval),
		MaxNotificationInterval: ticks(cfg.MaxNotificationInterval),
	})
	tr := New(Config{
		MyID:             cfg.MyID,
		Addr:             net.JoinHostPort(self.Host, strconv.Itoa(self.ElectionPort)),
		Peers:            peers,
		ConnectTimeout:   cfg.ConnectTimeout,
		HandshakeTimeout: cfg.HandshakeTimeout,
		BindRetry:        cfg.BindRetry,
		Logger:           lg,
	})
	return &Elector{cfg: cfg, log: lg.With("myid", cfg.MyID), tr: tr, core: core, observer: self.Observer,
		reqs: make(chan func()), closing: make(chan struct{}), stopped: make(chan struct{})}, nil
}

// Start binds the election port and starts answering peers. Until the first LookForLeader,
// notifications from voters are kept for it and non-voters are not answered.
func (e *Elector) Start() error {
	if err := e.tr.Start(); err != nil {
		return err
	}
	e.started = true
	go e.loop()
	return nil
}

// Addr is the bound election address.
func (e *Elector) Addr() net.Addr { return e.tr.Addr() }

// ErrClosed is returned by calls on a closed Elector.
var ErrClosed = errors.New("transport: elector closed")

// LookForLeader runs one election with this proposal (lastLoggedZxid and the currentEpoch
// file) and returns how it ended: the leader's vote and the state this server takes
// (LEADING, FOLLOWING or OBSERVING). After it returns, LOOKING peers are answered with that
// vote and state until the next LookForLeader or SetVote. When ctx ends first, the election
// goes on in the background (peers still see this server LOOKING) and ctx's error is
// returned; call LookForLeader again to start a new round.
func (e *Elector) LookForLeader(ctx context.Context, p election.Proposal) (election.Decision, error) {
	res := make(chan election.Decision, 1)
	if err := e.do(ctx, func() {
		e.core.Start(p)
		e.waiter = res
		e.flush()
	}); err != nil {
		return election.Decision{}, err
	}
	select {
	case d := <-res:
		return d, nil
	case <-ctx.Done():
		e.do(context.Background(), func() {
			if e.waiter == res {
				e.waiter = nil
			}
		})
		return election.Decision{}, ctx.Err()
	case <-e.stopped:
		return election.Decision{}, ErrClosed
	}
}

// SetVote sets what this server answers LOOKING peers with while it leads, follows or
// observes: state (not LOOKING) and vote, e.g. the decided vote with PeerEpoch set to the
// epoch the leader established (QuorumPeer.updateElectionVote).
func (e *Elector) SetVote(state wire.ServerState, v election.Vote) error {
	var err error
	if derr := e.do(context.Background(), func() { err = e.core.SetVote(state, v) }); derr != nil {
		return derr
	}
	return err
}

// SetConfigVersion changes the version in the config text of notifications, for when the
// ensemble's committed config version changes (a Java leader stamps its first NEWLEADER zxid
// on a version-0 config).
func (e *Elector) SetConfigVersion(version int64) error {
	return e.do(context.Background(), func() { e.core.SetConfigText(ConfigText(e.cfg.Servers, version)) })
}

// SetConfig switches to a new configuration (a reconfig activated): its servers' election
// addresses, voters and this server's learner type, and its config text in notifications.
func (e *Elector) SetConfig(servers []config.Server, version int64) error {
	return e.do(context.Background(), func() {
		e.cfg.Servers = slices.Clone(servers)
		var voters []int64
		for _, s := range servers {
			if !s.Observer {
				voters = append(voters, s.ID)
			}
			if s.ID == e.cfg.MyID {
				e.observer = s.Observer
			} else {
				e.tr.SetPeerAddr(s.ID, net.JoinHostPort(s.Host, strconv.Itoa(s.ElectionPort)))
			}
		}
		e.core.SetVoters(voters, e.observer)
		e.core.SetConfigText(ConfigText(servers, version))
	})
}

// Status is a snapshot of the election state.
type Status struct {
	State        wire.ServerState
	Looking      bool
	LogicalClock int64
	Vote         election.Vote // the current vote, or the proposal while looking
}

// Status reports the state, round and vote.
func (e *Elector) Status() (Status, error) {
	var s Status
	err := e.do(context.Background(), func() {
		s = Status{State: e.core.State(), Looking: e.core.Looking(), LogicalClock: e.core.LogicalClock(), Vote: e.core.CurrentVote()}
		if s.Looking {
			s.Vote = e.core.Proposal()
		}
	})
	return s, err
}

// Close stops the loop and the transport.
func (e *Elector) Close() error {
	select {
	case <-e.closing:
	default:
		close(e.closing)
	}
	if e.started {
		<-e.stopped
	}
	return e.tr.Close()
}

func (e *Elector) do(ctx context.Context, f func()) error {
	if !e.started {
		return errors.New("transport: elector not started")
	}
	done := make(chan struct{})
	select {
	case e.reqs <- func() { f(); close(done) }:
	case <-e.stopped:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-e.stopped:
		return ErrClosed
	}
}

func (e *Elector) loop() {
	defer close(e.stopped)
	ticker := time.NewTicker(e.cfg.Tick)
	defer ticker.Stop()
	for {
		var tick <-chan time.Time
		if e.core.Looking() {
			tick = ticker.C
		}
		select {
		case <-e.closing:
			return
		case f := <-e.reqs:
			f()
		case <-e.tr.Ready():
			for {
				m, ok := e.tr.Poll()
				if !ok {
					break
				}
				n, err := wire.DecodeNotification(m.Payload)
				if err != nil {
					e.log.Warn("skipping a malformed notification", "sid", m.From, "len", len(m.Payload), "err", err)
					continue
				}
				e.core.Step(m.From, n)
				e.flush()
			}
		case <-tick:
			e.core.Tick()
			e.flush()
		}
	}
}

// flush sends what the core produced and hands a decision to the waiting LookForLeader.
func (e *Elector) flush() {
	rd := e.core.Ready()
	for _, m := range rd.Messages {
		e.tr.Send(m.To, wire.AppendNotification(nil, &m.Notification))
	}
	if d := rd.Decided; d != nil {
		e.log.Info("election decided", "state", d.State.String(), "leader", d.Vote.Leader,
			"zxid", fmt.Sprintf("0x%x", d.Vote.Zxid), "round", d.Vote.ElectionEpoch, "peerEpoch", d.Vote.PeerEpoch)
		if e.waiter != nil {
			e.waiter <- *d
			e.waiter = nil
		}
	}
}
