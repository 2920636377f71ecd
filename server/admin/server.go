package admin

import (
	"log/slog"
	"sync/atomic"
)

// DefaultTraceMask is ZooTrace's default text trace mask (gtmk on a fresh Java server).
const DefaultTraceMask = 306

// NotServing is AbstractFourLetterCommand.ZK_NOT_SERVING.
const NotServing = "This ZooKeeper instance is not currently serving requests"

// Server is the operations surface of one zkgo server: four-letter words, AdminServer
// commands and the metrics. Create it with New.
type Server struct {
	Backend Backend
	Metrics *Metrics
	// Version is the full version string ("3.9.3-zkgo-1.0, built on 2026-11-22 00:00 UTC").
	Version string
	// Whitelist holds the enabled four-letter words (4lw.commands.whitelist); srvr is always
	// enabled, as in Java.
	Whitelist map[string]bool
	// Environment returns envi's entries; nil means GoEnvironment(Version).
	Environment func() []Field
	// CommandURL is admin.commandURL (default "/commands").
	CommandURL string
	Logger     *slog.Logger

	traceMask atomic.Int64
}

// New returns the operations surface over b.
func New(b Backend, m *Metrics, version string, whitelist map[string]bool) *Server {
	s := &Server{Backend: b, Metrics: m, Version: version, Whitelist: whitelist, CommandURL: "/commands", Logger: slog.Default()}
	s.traceMask.Store(DefaultTraceMask)
	return s
}

// TraceMask is ZooTrace's text trace level (gtmk, get_trace_mask).
func (s *Server) TraceMask() int64 { return s.traceMask.Load() }

// SetTraceMask is stmk / set_trace_mask.
func (s *Server) SetTraceMask(m int64) { s.traceMask.Store(m) }

func (s *Server) env() []Field {
	if s.Environment != nil {
		return s.Environment()
	}
	return GoEnvironment(s.Version)
}

// mode is srvr's Mode and mntr's server_state.
func (st ServerStats) mode() string {
	if st.ReadOnly {
		return "read-only"
	}
	return st.Mode
}

// monitorValues is ZooKeeperServer.dumpMonitorValues (plus QuorumPeer's peer_state) followed by
// the metrics provider's dump, as mntr and the monitor command print them.
func (s *Server) monitorValues(sink func(string, any)) {
	g := s.Backend.Gauges()
	q := s.Backend.Quorum()
	sink("version", s.Version)
	sink("server_state", g.Stats.mode())
	if q != nil {
		sink("peer_state", q.PeerState)
	}
	s.Metrics.Dump(g, q != nil, sink)
}

// Enabled is FourLetterCommands.isEnabled: whether a four-letter word is whitelisted.
func (s *Server) Enabled(word string) bool {
	return word == "srvr" || s.Whitelist[word]
}
