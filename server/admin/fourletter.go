package admin

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// FourLetter answers a four-letter word with the text Java 3.9 prints (S/command/*.java).
// extra is the mask stmk carries. The caller writes the text and closes the connection.
func (s *Server) FourLetter(word string, extra int64) string {
	if !s.Enabled(word) {
		return word + " is not executed because it is not in the whitelist.\n"
	}
	var b strings.Builder
	switch word {
	case "ruok":
		return "imok"
	case "stmk":
		s.SetTraceMask(extra)
		return strconv.FormatInt(extra, 10)
	case "gtmk":
		return strconv.FormatInt(s.TraceMask(), 10)
	case "envi":
		b.WriteString("Environment:\n")
		for _, f := range s.env() {
			fmt.Fprintf(&b, "%s=%v\n", f.Key, f.Val)
		}
		return b.String()
	}
	if !s.Backend.Serving() {
		switch word {
		case "isro":
			return "null"
		case "hash":
			return NotServing
		}
		return NotServing + "\n"
	}
	switch word {
	case "isro":
		if s.Backend.Stats().ReadOnly {
			return "ro"
		}
		return "rw"
	case "srvr", "stat":
		s.writeStat(&b, word == "stat")
	case "cons":
		for _, c := range s.Backend.Connections() {
			b.WriteString(connectionLine(c, false))
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	case "crst":
		s.Backend.ResetConnectionStats()
		b.WriteString("Connection stats reset.\n")
	case "srst":
		s.resetServerStats()
		b.WriteString("Server stats reset.\n")
	case "conf":
		writeConf(&b, s.Backend.Conf())
	case "dirs":
		c := s.Backend.Conf()
		fmt.Fprintf(&b, "datadir_size: %d\nlogdir_size: %d\n", c.DataDirSize, c.LogDirSize)
	case "dump":
		s.writeDump(&b)
	case "wchs":
		w := s.Backend.Watches()
		fmt.Fprintf(&b, "%d connections watching %d paths\nTotal watches:%d\n", len(w.BySession), len(w.ByPath), w.Total)
	case "wchc":
		for _, sp := range s.Backend.Watches().BySession {
			fmt.Fprintf(&b, "0x%s\n", hex(sp.Session))
			for _, p := range sp.Paths {
				fmt.Fprintf(&b, "\t%s\n", p)
			}
		}
		b.WriteByte('\n')
	case "wchp":
		for _, ps := range s.Backend.Watches().ByPath {
			fmt.Fprintf(&b, "%s\n", ps.Path)
			for _, id := range ps.Sessions {
				fmt.Fprintf(&b, "\t0x%s\n", hex(id))
			}
		}
		b.WriteByte('\n')
	case "mntr":
		s.monitorValues(func(k string, v any) {
			b.WriteString("zk_")
			b.WriteString(k)
			b.WriteByte('\t')
			b.WriteString(mntrValue(v))
			b.WriteByte('\n')
		})
	case "hash":
		for _, d := range s.Backend.Digests() {
			fmt.Fprintf(&b, "%s: %d\n", hex(d.Zxid), int64(d.Digest))
		}
	}
	return b.String()
}

// resetServerStats is srst: ServerStats.reset, which also resets every metric
// (ServerMetrics.resetAll; a no-op with the Prometheus provider).
func (s *Server) resetServerStats() {
	s.Backend.ResetServerStats()
	s.Metrics.Reset()
}

// mntrValue is MonitorCommand.print: integers as integers, other numbers as Java doubles.
func mntrValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case float64:
		return JavaDouble(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// writeStat is StatCommand (srvr and stat).
func (s *Server) writeStat(b *strings.Builder, stat bool) {
	st := s.Backend.Stats()
	fmt.Fprintf(b, "Zookeeper version: %s\n", s.Version)
	if st.ReadOnly {
		b.WriteString("READ-ONLY mode; serving only read-only clients\n")
	}
	if stat {
		b.WriteString("Clients:\n")
		for _, c := range s.Backend.Connections() {
			b.WriteString(connectionLine(c, true))
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(b, "Latency min/avg/max: %d/%s/%d\n", st.MinLatency, JavaDouble(st.AvgLatency), st.MaxLatency)
	fmt.Fprintf(b, "Received: %d\nSent: %d\nConnections: %d\nOutstanding: %d\n", st.PacketsReceived, st.PacketsSent, st.NumAliveConnections, st.Outstanding)
	fmt.Fprintf(b, "Zxid: 0x%s\nMode: %s\nNode count: %d\n", hex(st.LastZxid), st.mode(), st.NodeCount)
	if st.Mode == "leader" {
		l := s.Backend.Gauges().Leader
		if l == nil {
			l = &LeaderGauges{LastProposalSize: -1, MinProposalSize: -1, MaxProposalSize: -1}
		}
		fmt.Fprintf(b, "Proposal sizes last/min/max: %d/%d/%d\n", l.LastProposalSize, l.MinProposalSize, l.MaxProposalSize)
	}
}

// connectionLine is ServerCnxn.dumpConnectionInfo.
func connectionLine(c Conn, brief bool) string {
	var b strings.Builder
	ops := "0"
	if c.InterestOps != 0 {
		ops = strconv.FormatInt(int64(c.InterestOps), 16)
	}
	fmt.Fprintf(&b, " /%s[%s](queued=%d,recved=%d,sent=%d", c.Remote, ops, c.Queued, c.Received, c.Sent)
	if !brief && c.SessionID != 0 {
		fmt.Fprintf(&b, ",sid=0x%s,lop=%s,est=%d,to=%d", hex(c.SessionID), c.LastOp, c.Established.UnixMilli(), c.Timeout)
		if c.LastCxid >= 0 {
			fmt.Fprintf(&b, ",lcxid=0x%s", hex(c.LastCxid))
		}
		fmt.Fprintf(&b, ",lzxid=0x%s,lresp=%d,llat=%d,minlat=%d,avglat=%d,maxlat=%d", hex(c.LastZxid), c.LastResp, c.LastLatency, c.MinLatency, c.AvgLatency, c.MaxLatency)
	}
	b.WriteByte(')')
	return b.String()
}

// writeConf is ZooKeeperServer.dumpConf (and QuorumZooKeeperServer's additions).
func writeConf(b *strings.Builder, c Conf) {
	fmt.Fprintf(b, "clientPort=%d\nsecureClientPort=%d\n", c.ClientPort, c.SecureClientPort)
	fmt.Fprintf(b, "dataDir=%s\ndataDirSize=%d\ndataLogDir=%s\ndataLogSize=%d\n", c.DataDir, c.DataDirSize, c.DataLogDir, c.LogDirSize)
	fmt.Fprintf(b, "tickTime=%d\nmaxClientCnxns=%d\nminSessionTimeout=%d\nmaxSessionTimeout=%d\n", c.TickTime, c.MaxClientCnxns, c.MinSessionTimeout, c.MaxSessionTimeout)
	fmt.Fprintf(b, "clientPortListenBacklog=%d\nserverId=%d\n", c.ClientPortListenBacklog, c.ServerID)
	if q := c.Quorum; q != nil {
		fmt.Fprintf(b, "initLimit=%d\nsyncLimit=%d\nelectionAlg=%d\n", q.InitLimit, q.SyncLimit, q.ElectionAlg)
		fmt.Fprintf(b, "electionPort=%s\nquorumPort=%s\npeerType=%d\n", q.ElectionPort, q.QuorumPort, q.PeerType)
		fmt.Fprintf(b, "membership: \n%s", q.Membership)
	}
}

// writeDump is DumpCommand: the session tracker, the ephemerals and the NIO factory's
// connection expiry queue.
func (s *Server) writeDump(b *strings.Builder) {
	b.WriteString("SessionTracker dump:\n")
	buckets := s.Backend.SessionExpiry()
	n := 0
	for _, bk := range buckets {
		n += len(bk.Sessions)
	}
	fmt.Fprintf(b, "Session Sets (%d)/(%d):\n", len(buckets), n)
	for _, bk := range buckets {
		fmt.Fprintf(b, "%d expire at %s:\n", len(bk.Sessions), JavaDate(bk.At))
		for _, id := range bk.Sessions {
			fmt.Fprintf(b, "\t0x%s\n", hex(id))
		}
	}
	b.WriteString("ephemeral nodes dump:\n")
	eph := s.Backend.Ephemerals()
	fmt.Fprintf(b, "Sessions with Ephemerals (%d):\n", len(eph))
	for _, e := range eph {
		fmt.Fprintf(b, "0x%s:\n", hex(e.Session))
		for _, p := range e.Paths {
			fmt.Fprintf(b, "\t%s\n", p)
		}
	}
	b.WriteString("Connections dump:\n")
	conns := s.Backend.Connections()
	type bucket struct {
		at    int64
		conns []Conn
	}
	var cb []*bucket
	idx := map[int64]*bucket{}
	for _, c := range conns {
		at := c.ExpireAt.UnixMilli()
		k := idx[at]
		if k == nil {
			k = &bucket{at: at}
			idx[at] = k
			cb = append(cb, k)
		}
		k.conns = append(k.conns, c)
	}
	slices.SortStableFunc(cb, func(x, y *bucket) int { return cmp.Compare(x.at, y.at) })
	fmt.Fprintf(b, "Connections Sets (%d)/(%d):\n", len(cb), len(conns))
	for _, k := range cb {
		fmt.Fprintf(b, "%d expire at %s:\n", len(k.conns), JavaDate(k.conns[0].ExpireAt))
		for _, c := range k.conns {
			fmt.Fprintf(b, "\tip: /%s sessionId: 0x%s\n", c.Remote, hex(c.SessionID))
		}
	}
}
