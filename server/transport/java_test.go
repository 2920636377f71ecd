package transport

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/election"
	"github.com/zkgo/zkgo/wire"
)

// Tests against Java ZooKeeper: real Java peers and zkgo Electors in one ensemble. The oracle
// fetches Java when it is missing; nothing here skips.

// members allocates one ensemble member per spec: a Java version, or "" for a zkgo Elector.
func members(t *testing.T, specs ...string) []oracle.Member {
	t.Helper()
	ms, err := oracle.AllocateMembers(len(specs), false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ms {
		ms[i].Version = specs[i]
	}
	return ms
}

// serverLines parses the members' server lines in the syntax of version ("" is 3.5+) into
// the zkgo configuration.
func serverLines(t *testing.T, ms []oracle.Member, version string) []config.Server {
	t.Helper()
	text := "dataDir=/nonexistent\n" + strings.Join(oracle.ServerLines(ms, version), "\n") + "\n"
	c, err := config.Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return c.Servers
}

func startJava(t *testing.T, ms []oracle.Member, wait bool) *oracle.Ensemble {
	t.Helper()
	e, err := oracle.StartMembers(t, ms, oracle.Options{NoWait: !wait})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func logOf(t *testing.T, s *oracle.Server) string {
	t.Helper()
	b, err := os.ReadFile(s.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitLog waits until the Java server's log matches re.
func waitLog(t *testing.T, s *oracle.Server, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		l := logOf(t, s)
		if m := re.FindString(l); m != "" {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no log line matching %q after %v; last lines:\n%s", s, re, timeout, s.LogTail(40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var (
	electionTook  = regexp.MustCompile(`(LEADING|FOLLOWING) - LEADER ELECTION TOOK - (\d+)`)
	electionStart = regexp.MustCompile(`(?m)^(\d\d:\d\d:\d\d\.\d\d\d) .*New election\. My id`)
)

// sinceJavaLooked reports how long before at each Java server began its first election (by
// its log's clock, which is this machine's), e.g. "server.2 +312ms server.3 +95ms". JVM start-up
// on a busy machine takes seconds, so this is the election time that compares with Java's own
// "LEADER ELECTION TOOK".
func sinceJavaLooked(t *testing.T, ens *oracle.Ensemble, at time.Time) string {
	t.Helper()
	var parts []string
	for _, s := range ens.Servers {
		m := electionStart.FindStringSubmatch(logOf(t, s))
		if m == nil {
			parts = append(parts, fmt.Sprintf("server.%d not looking yet", s.Myid))
			continue
		}
		hms, err := time.ParseInLocation("15:04:05.000", m[1], time.Local)
		if err != nil {
			t.Fatal(err)
		}
		y, mo, d := at.Date()
		began := time.Date(y, mo, d, hms.Hour(), hms.Minute(), hms.Second(), hms.Nanosecond(), time.Local)
		parts = append(parts, fmt.Sprintf("server.%d %+dms", s.Myid, at.Sub(began).Milliseconds()))
	}
	return strings.Join(parts, " ")
}

// checkJavaHeard checks that a Java server logged notifications from each zkgo sid, in the
// 3.5+ (v2) or 3.4 log format, and no complaint about them, and logs its election time.
func checkJavaHeard(t *testing.T, s *oracle.Server, zkgo []int64) {
	t.Helper()
	l := logOf(t, s)
	for _, sid := range zkgo {
		var heard *regexp.Regexp
		if strings.HasPrefix(s.Version, "3.4.") {
			heard = regexp.MustCompile(`Notification: 2 \(message format version\), -?\d+ \(n\.leader\), .* \(n\.state\), ` + strconv.FormatInt(sid, 10) + ` \(n\.sid\)`)
		} else {
			heard = regexp.MustCompile(`Notification: my state:\w+; n\.sid:` + strconv.FormatInt(sid, 10) + `, n\.state:\w+, .*message format version:0x2, n\.config version:0x0`)
		}
		if !heard.MatchString(l) {
			t.Errorf("%s never logged a notification from zkgo sid %d; last lines:\n%s", s, sid, s.LogTail(40))
		}
		for _, bad := range []string{
			"partial / malformed response message sent by sid=" + strconv.FormatInt(sid, 10),
			"Something went wrong while processing config received from " + strconv.FormatInt(sid, 10),
			"Initial message parsing error", "Got unrecognized protocol version", "Unreasonable buffer length",
			"restarting leader election", "Got a short response",
		} {
			if strings.Contains(l, bad) {
				t.Errorf("%s logged %q", s, bad)
			}
		}
	}
	if m := electionTook.FindStringSubmatch(l); m != nil {
		t.Logf("%s: %s - election took %s ms", s, m[1], m[2])
	}
}

func startElectors(t *testing.T, ms []oracle.Member, ss []config.Server) map[int64]*Elector {
	t.Helper()
	es := map[int64]*Elector{}
	for _, m := range ms {
		if m.Version == "" {
			es[int64(m.ID)] = startElector(t, ss, int64(m.ID))
		}
	}
	return es
}

// acceptFollower plays the quorum port of a zkgo leader far enough to see who follows it: it
// reads the first QuorumPacket (FOLLOWERINFO, type 11) and returns the learner's sid from its
// LearnerInfo.
func acceptFollower(t *testing.T, ln net.Listener, timeout time.Duration) (sid int64, pktType int32, infoLen int32) {
	t.Helper()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(timeout))
	c, err := ln.Accept()
	if err != nil {
		t.Fatalf("nobody connected to the zkgo leader's quorum port: %v", err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	var hdr [16]byte // type int, zxid long, data length int
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		t.Fatal(err)
	}
	pktType = int32(binary.BigEndian.Uint32(hdr[0:]))
	infoLen = int32(binary.BigEndian.Uint32(hdr[12:]))
	if infoLen < 8 || infoLen > 64 {
		t.Fatalf("FOLLOWERINFO data length %d", infoLen)
	}
	info := make([]byte, infoLen)
	if _, err := io.ReadFull(r, info); err != nil {
		t.Fatal(err)
	}
	return int64(binary.BigEndian.Uint64(info)), pktType, infoLen
}

// What a Java node sends on the election port, captured by raw listeners standing in for the
// other two members: the initial message and the first notification, compared with what zkgo
// sends for the same zoo.cfg.
func TestJavaNotificationCapture(t *testing.T) {
	for _, v := range oracle.Versions {
		t.Run(v, func(t *testing.T) {
			ms := members(t, "", "", v)
			var lns []net.Listener
			for _, m := range ms[:2] {
				ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(m.ElectionPort)))
				if err != nil {
					t.Fatal(err)
				}
				defer ln.Close()
				lns = append(lns, ln)
			}
			startJava(t, ms, false)
			for i, ln := range lns {
				ln.(*net.TCPListener).SetDeadline(time.Now().Add(60 * time.Second))
				c, err := ln.Accept()
				if err != nil {
					t.Fatalf("server.%d: Java never connected: %v", i+1, err)
				}
				defer c.Close()
				c.SetReadDeadline(time.Now().Add(30 * time.Second))
				r := bufio.NewReader(c)
				im, err := wire.ReadInitialMessage(r)
				if err != nil {
					t.Fatal(err)
				}
				frame, err := wire.ReadElectionFrame(r, nil)
				if err != nil {
					t.Fatal(err)
				}
				n, err := wire.DecodeNotification(frame)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("initial message %+v; notification (%d bytes): %v %d %#x %d %d version %d config %q",
					im, len(frame), n.State, n.Leader, n.Zxid, n.ElectionEpoch, n.PeerEpoch, n.Version, n.Config)
				if n.State != wire.Looking || n.Leader != 3 || n.Zxid != 0 || n.ElectionEpoch != 1 || n.PeerEpoch != 0 {
					t.Errorf("notification %+v, want LOOKING (3, 0x0, 0) round 1", n)
				}
				if strings.HasPrefix(v, "3.4.") {
					if im.ProtocolVersion != 0 || im.Sid != 3 || len(frame) != 40 || n.Version != 0 || binary.BigEndian.Uint32(frame[36:]) != 1 {
						t.Errorf("3.4: initial %+v, frame %x: want a bare sid 3 and a 40-byte version-1 notification", im, frame)
					}
					continue
				}
				self := fmt.Sprintf("127.0.0.1:%d", ms[2].ElectionPort)
				if im.ProtocolVersion != wire.ElectionProtocolV1 || im.Sid != 3 || len(im.Addrs) != 1 || im.Addrs[0] != self {
					t.Errorf("initial message %+v, want V1, sid 3, %s", im, self)
				}
				want := ConfigText(serverLines(t, ms, ""), 0)
				if n.Version != 2 || string(n.Config) != string(want) || len(frame) != 44+len(want) {
					t.Errorf("config text\n got %q\nwant %q", n.Config, want)
				}
				// Byte for byte what zkgo would send with the same vote.
				if ours := wire.AppendNotification(nil, &wire.Notification{State: wire.Looking, Leader: 3, ElectionEpoch: 1, Config: want}); string(ours) != string(frame) {
					t.Errorf("zkgo's notification\n%x\nJava's\n%x", ours, frame)
				}
			}
		})
	}
}

// (a) and (c): a zkgo Elector with the lowest sid as the third member of an ensemble of two
// Java nodes. The Java nodes elect one of themselves (the highest sid when both start
// together); the zkgo Elector decides to follow it, whether it looks from the start (LOOKING
// votes) or joins the established ensemble (out-of-election votes).
func TestJavaElectsZkgoFollows(t *testing.T) {
	for _, vs := range [][2]string{{oracle.V3_9_3, oracle.V3_9_3}, {oracle.V3_8_0, oracle.V3_9_3}, {oracle.V3_4_13, oracle.V3_4_13}} {
		for _, joinLate := range []bool{false, true} {
			name := vs[0] + "+" + vs[1]
			if joinLate {
				name += "/join-established"
			} else {
				name += "/from-start"
			}
			t.Run(name, func(t *testing.T) {
				ms := members(t, "", vs[0], vs[1])
				syntax := ""
				if strings.HasPrefix(vs[0], "3.4.") {
					syntax = vs[0]
				}
				ss := serverLines(t, ms, syntax)
				ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
				defer cancel()
				var ens *oracle.Ensemble
				var es map[int64]*Elector
				if joinLate {
					ens = startJava(t, ms, true)
					es = startElectors(t, ms, ss)
				} else {
					es = startElectors(t, ms, ss)
					ens = startJava(t, ms, false)
				}
				// From the start, which Java node wins depends on which JVM comes up first; and
				// FLE may let the zkgo Elector follow a node that then loses the race (ZAB would
				// then fail to connect and look again). So: follow the leader Java establishes,
				// looking again as the quorum peer would when the decision was not it.
				var leader *oracle.Server
				for try := 1; ; try++ {
					start := time.Now()
					d, err := es[1].LookForLeader(ctx, election.Proposal{LastZxid: 0, CurrentEpoch: 0})
					took := time.Since(start)
					if err != nil {
						t.Fatal(err)
					}
					t.Logf("zkgo server.1 decided %v %v round %d in %v (after Java began looking: %s)",
						d.State, d.Vote, d.Vote.ElectionEpoch, took, sinceJavaLooked(t, ens, start.Add(took)))
					if leader == nil {
						if leader, err = ens.AwaitLeader(60 * time.Second); err != nil {
							t.Fatal(err)
						}
						t.Logf("Java leader: server.%d", leader.Myid)
					}
					if d.State == wire.Following && d.Vote.Leader == int64(leader.Myid) {
						break
					}
					if d.State == wire.Leading || try == 3 {
						t.Fatalf("zkgo decided %v %v; the Java leader is server.%d", d.State, d.Vote, leader.Myid)
					}
					t.Logf("zkgo followed %d, which does not lead: looking again", d.Vote.Leader)
				}
				if joinLate && leader.Myid != 3 {
					t.Errorf("Java elected server.%d, want 3 (the highest sid)", leader.Myid)
				}
				for _, s := range ens.Servers {
					checkJavaHeard(t, s, []int64{1})
				}
			})
		}
	}
}

// (b) and (c): one Java node and two zkgo Electors, all with the same zxid: the highest sid, a
// zkgo one, wins. The zkgo Electors decide it; the Java node follows it, which shows when it
// connects to that sid's quorum port (played here) and sends FOLLOWERINFO.
func TestJavaFollowsZkgoLeader(t *testing.T) {
	for _, v := range oracle.Versions {
		t.Run(v, func(t *testing.T) {
			ms := members(t, v, "", "")
			syntax := ""
			if strings.HasPrefix(v, "3.4.") {
				syntax = v
			}
			ss := serverLines(t, ms, syntax)
			quorum, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(ms[2].QuorumPort)))
			if err != nil {
				t.Fatal(err)
			}
			defer quorum.Close()
			ens := startJava(t, ms, false)
			java := ens.Server(1)
			// Let Java look first, so that everybody takes part in the same round.
			waitLog(t, java, regexp.MustCompile(`New election\. My id *= *1`), 60*time.Second)
			es := startElectors(t, ms, ss)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			began := time.Now()
			res := lookAll(ctx, es, election.Proposal{LastZxid: 0, CurrentEpoch: 0})
			t.Logf("Java began looking before the zkgo Electors did: %s", sinceJavaLooked(t, ens, began))
			for id, r := range res {
				if r.err != nil {
					t.Fatalf("zkgo server.%d: %v", id, r.err)
				}
				want := wire.Following
				if id == 3 {
					want = wire.Leading
				}
				t.Logf("zkgo server.%d decided %v %v round %d in %v", id, r.d.State, r.d.Vote, r.d.Vote.ElectionEpoch, r.took)
				if r.d.Vote.Leader != 3 || r.d.State != want {
					t.Errorf("zkgo server.%d decided %v %v, want %v 3", id, r.d.State, r.d.Vote, want)
				}
			}
			sid, typ, infoLen := acceptFollower(t, quorum, 60*time.Second)
			if typ != 11 || sid != 1 {
				t.Fatalf("quorum port got packet type %d from sid %d, want FOLLOWERINFO (11) from 1", typ, sid)
			}
			t.Logf("Java server.1 (%s) connected to zkgo leader 3's quorum port: FOLLOWERINFO with a %d-byte LearnerInfo", v, infoLen)
			m := waitLog(t, java, electionTook, 30*time.Second)
			if !strings.HasPrefix(m, "FOLLOWING") {
				t.Fatalf("Java logged %q", m)
			}
			checkJavaHeard(t, java, []int64{2, 3})
		})
	}
}
