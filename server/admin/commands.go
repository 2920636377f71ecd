package admin

import (
	"net"
	"net/http"
	"slices"
	"strconv"
)

// Response is a command's answer (Java's CommandResponse): the primary name, an error (nil
// prints null), the data fields and the HTTP status.
type Response struct {
	Command string
	Error   *string
	Data    Obj
	Status  int
}

func newResponse(name string) *Response { return &Response{Command: name, Status: http.StatusOK} }

func errResponse(name, msg string, status int) *Response {
	return &Response{Command: name, Error: &msg, Status: status}
}

// Map is CommandResponse.toMap: the data, then "command" and "error" (a data key called
// "error" keeps its place and value).
func (r *Response) Map() Obj {
	m := slices.Clone(r.Data)
	m.Put("command", r.Command)
	if r.Error != nil {
		m.Put("error", *r.Error)
	} else {
		m.Put("error", nil)
	}
	for _, f := range r.Data {
		m.Put(f.Key, f.Val)
	}
	return m
}

// Command is one AdminServer command.
type Command struct {
	Names          []string // primary name first
	ServerRequired bool     // refuse while not serving
	Auth           bool     // needs an Authorization header with ALL on "/" (snapshot, restore)
	Post           bool
	run            func(s *Server, args map[string]string) *Response
}

// Primary is the command's primary name.
func (c *Command) Primary() string { return c.Names[0] }

// Commands are the commands of Java 3.9.3's Commands class, in registration order.
var Commands = []*Command{
	{Names: []string{"connection_stat_reset", "crst"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		s.Backend.ResetConnectionStats()
		return newResponse("connection_stat_reset")
	}},
	{Names: []string{"configuration", "conf", "config"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("configuration")
		c := s.Backend.Conf()
		r.Data = Obj{
			{"client_port", c.ClientPort},
			{"data_dir", c.DataDir},
			{"data_log_dir", c.DataLogDir},
			{"tick_time", c.TickTime},
			{"max_client_cnxns", c.MaxClientCnxns},
			{"min_session_timeout", c.MinSessionTimeout},
			{"max_session_timeout", c.MaxSessionTimeout},
			{"server_id", c.ServerID},
			{"client_port_listen_backlog", c.ClientPortListenBacklog},
		}
		return r
	}},
	{Names: []string{"connections", "cons"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("connections")
		r.Data = Obj{{"connections", connectionInfos(s.Backend.Connections(), false)}, {"secure_connections", []any{}}}
		return r
	}},
	{Names: []string{"hash"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("hash")
		ds := []any{}
		for _, d := range s.Backend.Digests() {
			ds = append(ds, Obj{{"zxid", d.Zxid}, {"digest", int64(d.Digest)}, {"digest_version", d.Version}})
		}
		r.Data = Obj{{"digests", ds}}
		return r
	}},
	{Names: []string{"dirs"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("dirs")
		c := s.Backend.Conf()
		r.Data = Obj{{"datadir_size", c.DataDirSize}, {"logdir_size", c.LogDirSize}}
		return r
	}},
	{Names: []string{"dump"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("dump")
		exp := Obj{}
		for _, b := range s.Backend.SessionExpiry() {
			exp = append(exp, Field{strconv.FormatInt(b.At.UnixMilli(), 10), slices.Clone(b.Sessions)})
		}
		eph := Obj{}
		for _, e := range s.Backend.Ephemerals() {
			eph = append(eph, Field{strconv.FormatInt(e.Session, 10), slices.Clone(e.Paths)})
		}
		r.Data = Obj{{"expiry_time_to_session_ids", exp}, {"session_id_to_ephemeral_paths", eph}}
		return r
	}},
	{Names: []string{"environment", "env", "envi"}, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("environment")
		r.Data = slices.Clone(Obj(s.env()))
		return r
	}},
	{Names: []string{"get_trace_mask", "gtmk"}, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("get_trace_mask")
		r.Data = Obj{{"tracemask", s.TraceMask()}}
		return r
	}},
	{Names: []string{"initial_configuration", "icfg"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("initial_configuration")
		r.Data = Obj{{"initial_configuration", s.Backend.InitialConfig()}}
		return r
	}},
	{Names: []string{"is_read_only", "isro"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("is_read_only")
		r.Data = Obj{{"read_only", s.Backend.Stats().ReadOnly}}
		return r
	}},
	{Names: []string{"last_snapshot", "lsnp"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("last_snapshot")
		zxid, ts, ok := s.Backend.LastSnapshot()
		if !ok {
			zxid, ts = -1, -1
		}
		r.Data = Obj{{"zxid", hex(zxid)}, {"timestamp", ts}}
		return r
	}},
	{Names: []string{"leader", "lead"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("leader")
		q := s.Backend.Quorum()
		if q == nil {
			r.Data = Obj{{"error", "server is not initialized"}}
			return r
		}
		r.Data = Obj{{"is_leader", q.IsLeader}, {"leader_id", q.LeaderID}, {"leader_ip", q.LeaderAddress}}
		return r
	}},
	{Names: []string{"monitor", "mntr"}, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("monitor")
		s.monitorValues(func(k string, v any) { r.Data.Put(k, v) })
		return r
	}},
	{Names: []string{"observer_connection_stat_reset", "orst"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		return newResponse("observer_connection_stat_reset")
	}},
	{Names: []string{"restore", "rest"}, ServerRequired: true, Auth: true, Post: true, run: func(s *Server, _ map[string]string) *Response {
		// zkgo answers as Java does with admin.restore.enabled=false.
		r := newResponse("restore")
		r.Status = http.StatusServiceUnavailable
		return r
	}},
	{Names: []string{"ruok"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		return newResponse("ruok")
	}},
	{Names: []string{"set_trace_mask", "stmk"}, run: func(s *Server, args map[string]string) *Response {
		r := newResponse("set_trace_mask")
		v, ok := args["traceMask"]
		if !ok {
			r.Data = Obj{{"error", "setTraceMask requires long traceMask argument"}}
			return r
		}
		m, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			r.Data = Obj{{"error", "setTraceMask requires long traceMask argument, got " + v}}
			return r
		}
		s.SetTraceMask(m)
		r.Data = Obj{{"tracemask", m}}
		return r
	}},
	{Names: []string{"snapshot", "snap"}, ServerRequired: true, Auth: true, run: func(s *Server, _ map[string]string) *Response {
		// zkgo answers as Java does with admin.snapshot.enabled=false.
		r := newResponse("snapshot")
		r.Status = http.StatusServiceUnavailable
		return r
	}},
	{Names: []string{"server_stats", "srvr"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		return s.serverStats("server_stats")
	}},
	{Names: []string{"stats", "stat"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		r := s.serverStats("stats")
		r.Data = append(r.Data, Field{"connections", connectionInfos(s.Backend.Connections(), true)}, Field{"secure_connections", []any{}})
		return r
	}},
	{Names: []string{"stat_reset", "srst"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		s.resetServerStats()
		return newResponse("stat_reset")
	}},
	{Names: []string{"observers", "obsr"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("observers")
		n := 0
		if l := s.Backend.Gauges().Leader; l != nil {
			n = l.SyncedObservers
		}
		// zkgo keeps no per-observer connection info: the list stays empty.
		r.Data = Obj{{"synced_observers", n}, {"observers", []any{}}}
		return r
	}},
	{Names: []string{"system_properties", "sysp"}, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("system_properties")
		r.Data = sortedMap(SystemProperties(s.Version, s.Backend.SystemProperties()))
		return r
	}},
	{Names: []string{"voting_view"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("voting_view")
		view := Obj{}
		if q := s.Backend.Quorum(); q != nil {
			for _, m := range q.Members {
				view = append(view, Field{strconv.FormatInt(m.ID, 10), Obj{
					{"server_addresses", nonNil(m.ServerAddresses)},
					{"election_addresses", nonNil(m.ElectionAddresses)},
					{"client_address", m.ClientAddress},
					{"learner_type", m.LearnerType},
				}})
			}
		}
		r.Data = Obj{{"current_config", view}}
		return r
	}},
	{Names: []string{"watches", "wchc"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("watches")
		o := Obj{}
		for _, sp := range s.Backend.Watches().BySession {
			o = append(o, Field{strconv.FormatInt(sp.Session, 10), nonNil(sp.Paths)})
		}
		r.Data = Obj{{"session_id_to_watched_paths", o}}
		return r
	}},
	{Names: []string{"watches_by_path", "wchp"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("watches_by_path")
		o := Obj{}
		for _, ps := range s.Backend.Watches().ByPath {
			o = append(o, Field{ps.Path, slices.Clone(ps.Sessions)})
		}
		r.Data = Obj{{"path_to_session_ids", o}}
		return r
	}},
	{Names: []string{"watch_summary", "wchs"}, ServerRequired: true, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("watch_summary")
		w := s.Backend.Watches()
		r.Data = Obj{{"num_connections", len(w.BySession)}, {"num_paths", len(w.ByPath)}, {"num_total_watches", w.Total}}
		return r
	}},
	{Names: []string{"zabstate"}, run: func(s *Server, _ map[string]string) *Response {
		r := newResponse("zabstate")
		q := s.Backend.Quorum()
		if q == nil {
			r.Data = Obj{{"voting", false}, {"zabstate", ""}}
			return r
		}
		st := s.Backend.Stats()
		r.Data = Obj{
			{"myid", q.MyID},
			{"is_leader", q.IsLeader},
			{"quorum_address", multipleAddresses(q.QuorumAddress)},
			{"election_address", multipleAddresses(q.ElectionAddress)},
			{"client_address", q.ClientAddress},
			{"voting", q.Voting},
			{"last_zxid", "0x" + zxidString(st.LastZxid)},
			{"zab_epoch", st.LastZxid >> 32},
			{"zab_counter", st.LastZxid & 0xffffffff},
			{"zabstate", q.ZabState},
		}
		return r
	}},
}

// multipleAddresses is a MultipleAddresses (one "host:port") as Jackson writes the bean.
func multipleAddresses(addr string) Obj {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return Obj{{"empty", true}}
	}
	p, _ := strconv.Atoi(port)
	return Obj{
		{"empty", false},
		{"wildcard_addresses", []string{net.JoinHostPort("0.0.0.0", port)}},
		{"all_ports", []any{p}},
		{"all_host_strings", []string{host}},
		{"all_reachable_addresses_or_all", []string{addr}},
		{"reachable_or_one", addr},
		{"all_addresses", []string{addr}},
		{"all_reachable_addresses", []string{addr}},
		{"one", addr},
		{"reachable_address", addr},
	}
}

// zxidString is ZxidUtils.zxidToString: the zxid in hex.
func zxidString(z int64) string { return hex(z) }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// serverStats is SrvrCommand: version, read_only, server_stats (the ServerStats bean as
// Jackson writes it), client_response, proposal_stats (leader) and node_count.
func (s *Server) serverStats(name string) *Response {
	r := newResponse(name)
	st := s.Backend.Stats()
	buf := func() Obj {
		return Obj{{"last_buffer_size", -1}, {"min_buffer_size", -1}, {"max_buffer_size", -1}}
	}
	r.Data = Obj{
		{"version", s.Version},
		{"read_only", st.ReadOnly},
		{"server_stats", Obj{
			{"packets_sent", st.PacketsSent},
			{"packets_received", st.PacketsReceived},
			{"fsync_threshold_exceed_count", 0},
			{"client_response_stats", buf()},
			{"provider_null", false},
			{"data_dir_size", st.DataDirSize},
			{"log_dir_size", st.LogDirSize},
			{"last_processed_zxid", st.LastZxid},
			{"server_state", st.mode()},
			{"outstanding_requests", st.Outstanding},
			{"avg_latency", st.AvgLatency},
			{"max_latency", st.MaxLatency},
			{"min_latency", st.MinLatency},
			{"num_alive_client_connections", st.NumAliveConnections},
			{"uptime", st.Uptime.Milliseconds()},
			{"auth_failed_count", 0},
			{"non_mtlsremote_conn_count", 0},
			{"non_mtlslocal_conn_count", 0},
		}},
		{"client_response", buf()},
	}
	if st.Mode == "leader" {
		p := Obj{{"last_buffer_size", -1}, {"min_buffer_size", -1}, {"max_buffer_size", -1}}
		if l := s.Backend.Gauges().Leader; l != nil {
			p = Obj{{"last_buffer_size", l.LastProposalSize}, {"min_buffer_size", l.MinProposalSize}, {"max_buffer_size", l.MaxProposalSize}}
		}
		r.Data = append(r.Data, Field{"proposal_stats", p})
	}
	r.Data = append(r.Data, Field{"node_count", st.NodeCount})
	return r
}

// connectionInfos is ServerCnxn.getConnectionInfo for each connection.
func connectionInfos(cs []Conn, brief bool) []any {
	out := []any{}
	for _, c := range cs {
		o := Obj{
			{"remote_socket_address", c.Remote},
			{"interest_ops", c.InterestOps},
			{"outstanding_requests", c.Queued},
			{"packets_received", c.Received},
			{"packets_sent", c.Sent},
		}
		if !brief {
			o = append(o,
				Field{"session_id", c.SessionID},
				Field{"last_operation", c.LastOp},
				Field{"established", c.Established.UnixMilli()},
				Field{"session_timeout", c.Timeout},
				Field{"last_cxid", c.LastCxid},
				Field{"last_zxid", c.LastZxid},
				Field{"last_response_time", c.LastResp},
				Field{"last_latency", c.LastLatency},
				Field{"min_latency", c.MinLatency},
				Field{"avg_latency", c.AvgLatency},
				Field{"max_latency", c.MaxLatency},
			)
		}
		out = append(out, o)
	}
	return out
}

// lookup finds a command by any of its names.
func lookup(name string) *Command {
	for _, c := range Commands {
		if slices.Contains(c.Names, name) {
			return c
		}
	}
	return nil
}

// Run runs the command called name (any alias) as a GET with args, as Commands.runGetCommand
// does; authInfo is the Authorization header ("" when absent) and remoteIP the client's.
func (s *Server) Run(name string, args map[string]string, authInfo, remoteIP string) *Response {
	return s.run(name, args, authInfo, remoteIP, false)
}

// run is Commands.runCommand; it returns nil where Java's command returns null (a GET command
// run by POST, a POST command by GET).
func (s *Server) run(name string, args map[string]string, authInfo, remoteIP string, post bool) *Response {
	c := lookup(name)
	if c == nil {
		return errResponse(name, "Unknown command: "+name, http.StatusOK)
	}
	if c.ServerRequired && !s.Backend.Serving() {
		return errResponse(name, NotServing, http.StatusOK)
	}
	if c.Auth {
		if authInfo == "" {
			return errResponse(name, "Auth info is missing for the command", http.StatusUnauthorized)
		}
		a, ok := s.Backend.(Authorizer)
		if !ok {
			return errResponse(name, "Not authenticated", http.StatusUnauthorized)
		}
		switch a.AuthorizeAdmin(authInfo, remoteIP) {
		case AuthFailed:
			return errResponse(name, "Not authenticated", http.StatusUnauthorized)
		case AuthDenied:
			return errResponse(name, "Not authorized", http.StatusForbidden)
		}
	}
	if post != c.Post {
		return nil
	}
	return c.run(s, args)
}

// AuthResult is the outcome of an AdminServer auth check.
type AuthResult int

// Outcomes of Authorizer.AuthorizeAdmin.
const (
	AuthOK     AuthResult = iota
	AuthFailed            // Not authenticated (401)
	AuthDenied            // Not authorized (403)
)

// Authorizer is implemented by a Backend that can check the Authorization header of the
// snapshot and restore commands: "<scheme> <auth>" (e.g. "digest user:pwd") must
// authenticate and hold ALL on "/".
type Authorizer interface {
	AuthorizeAdmin(authInfo, remoteIP string) AuthResult
}
