package interop

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	dc "github.com/ory/dockertest/v3/docker"
)

// Fault is one thing done to an ensemble under load: inject, hold, repair, and wait until the
// ensemble serves again. Run returns what it did (targets, outcome) for the report.
type Fault struct {
	Name string
	Run  func(s *Scenario) (string, error)
}

// Hold times: long enough for the fault to take effect (syncLimit is 2 s, an election about
// 0.5 s), short enough for a bounded test run.
const (
	holdCrash     = 2 * time.Second
	holdPartition = 3500 * time.Millisecond
	holdPause     = 3500 * time.Millisecond
	healTimeout   = 90 * time.Second
)

// The faults, by name.
var faults = map[string]Fault{
	"kill9-leader":       {"kill9-leader", func(s *Scenario) (string, error) { return s.crash(s.leader(), holdCrash) }},
	"kill9-follower":     {"kill9-follower", func(s *Scenario) (string, error) { return s.crash(s.follower(), holdCrash) }},
	"pause-leader":       {"pause-leader", func(s *Scenario) (string, error) { return s.pause(s.leader(), holdPause) }},
	"partition-follower": {"partition-follower", func(s *Scenario) (string, error) { return s.partition(holdPartition, s.follower()) }},
	"partition-leader":   {"partition-leader", func(s *Scenario) (string, error) { return s.partition(holdPartition, s.leader()) }},
	// The minority side: a minority of the participants, followers only, each cut off; the
	// leader keeps a quorum.
	"partition-minority": {"partition-minority", func(s *Scenario) (string, error) {
		return s.partition(holdPartition, s.followersUpTo(s.participants()-s.quorum())...)
	}},
	// The majority side cut off: a majority of participants (the leader among them) each
	// isolated; no side has a quorum until the heal.
	"partition-majority": {"partition-majority", func(s *Scenario) (string, error) {
		nodes := append([]*Node{s.leader()}, s.followersUpTo(s.quorum()-1)...)
		return s.partition(holdPartition, nodes...)
	}},
	"restart-all":   {"restart-all", func(s *Scenario) (string, error) { return s.restartAll() }},
	"disk-truncate": {"disk-truncate", func(s *Scenario) (string, error) { return s.diskFault(truncateTail) }},
	"disk-flip":     {"disk-flip", func(s *Scenario) (string, error) { return s.diskFault(flipByte) }},
}

func faultList(names ...string) []Fault {
	out := make([]Fault, 0, len(names))
	for _, n := range names {
		f, ok := faults[n]
		if !ok {
			panic("unknown fault " + n)
		}
		out = append(out, f)
	}
	return out
}

func allFaultNames() []string {
	var out []string
	for n := range faults {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ---------------------------------------------------------------------------------------------

func (s *Scenario) participants() int {
	n := 0
	for _, x := range s.C.Nodes() {
		if !x.Observer {
			n++
		}
	}
	return n
}

func (s *Scenario) quorum() int { return s.participants()/2 + 1 }

// leader is the current leader (after waiting for a healthy ensemble).
func (s *Scenario) leader() *Node {
	if err := s.C.WaitHealthy(healTimeout); err != nil {
		s.C.Fatalf("before fault: %v", err)
	}
	l := s.C.Leader()
	if l == nil {
		s.C.Fatalf("no leader")
	}
	return l
}

// follower is a follower; a zkgo one when the target preference says so.
func (s *Scenario) follower() *Node {
	fs := s.followersUpTo(1)
	if len(fs) == 0 {
		s.C.Fatalf("no follower")
	}
	return fs[0]
}

// followersUpTo returns up to n followers, preferring Target's implementation, then
// rotating so that repeated faults hit different nodes.
func (s *Scenario) followersUpTo(n int) []*Node {
	if err := s.C.WaitHealthy(healTimeout); err != nil {
		s.C.Fatalf("before fault: %v", err)
	}
	fs := s.C.Followers()
	s.rot++
	sort.SliceStable(fs, func(i, j int) bool { return (fs[i].ID+s.rot)%7 < (fs[j].ID+s.rot)%7 })
	if s.Target != "" {
		sort.SliceStable(fs, func(i, j int) bool { return fs[i].Impl == s.Target && fs[j].Impl != s.Target })
	}
	if len(fs) > n {
		fs = fs[:n]
	}
	return fs
}

func names(ns []*Node) string {
	var out []string
	for _, n := range ns {
		out = append(out, fmt.Sprintf("n%d/%s", n.ID, n.Impl))
	}
	return strings.Join(out, ",")
}

func (s *Scenario) crash(n *Node, hold time.Duration) (string, error) {
	s.note("kill -9 %s", n)
	if err := s.C.Kill(n, dc.SIGKILL); err != nil {
		return "", err
	}
	time.Sleep(hold)
	s.note("restart %s", n)
	if err := s.C.Start(n); err != nil {
		return "", err
	}
	return names([]*Node{n}), s.C.WaitHealthy(healTimeout)
}

func (s *Scenario) pause(n *Node, hold time.Duration) (string, error) {
	s.note("pause (SIGSTOP) %s", n)
	if err := s.C.Pause(n); err != nil {
		return "", err
	}
	time.Sleep(hold)
	s.note("unpause (SIGCONT) %s", n)
	if err := s.C.Unpause(n); err != nil {
		return "", err
	}
	return names([]*Node{n}), s.C.WaitHealthy(healTimeout)
}

func (s *Scenario) partition(hold time.Duration, ns ...*Node) (string, error) {
	if len(ns) == 0 {
		return "", fmt.Errorf("partition: no node to cut off")
	}
	s.note("cut off %s", names(ns))
	for _, n := range ns {
		if err := s.C.Cut(n); err != nil {
			return "", err
		}
	}
	time.Sleep(hold)
	s.note("heal %s", names(ns))
	for _, n := range ns {
		if err := s.C.Heal(n); err != nil {
			return "", err
		}
	}
	return names(ns), s.C.WaitHealthy(healTimeout)
}

func (s *Scenario) restartAll() (string, error) {
	ns := s.C.Nodes()
	s.note("kill -9 all")
	for _, n := range ns {
		if err := s.C.Kill(n, dc.SIGKILL); err != nil {
			return "", err
		}
	}
	time.Sleep(holdCrash)
	s.note("restart all")
	for _, n := range ns {
		if err := s.C.Start(n); err != nil {
			return "", err
		}
	}
	return names(ns), s.C.WaitHealthy(healTimeout)
}

// ---------------------------------------------------------------------------------------------
// Disk faults on the newest txn log of a stopped follower.

type diskKind string

const (
	truncateTail diskKind = "truncate" // cut the file in the middle of its last entry (torn write)
	flipByte     diskKind = "flip"     // invert one byte inside the last entry's txn (CRC mismatch)
)

// Outcomes of restarting a node after a disk fault.
const (
	outcomeRecovered = "recovered" // it started and rejoined
	outcomeRefused   = "refused"   // it stopped at start-up
)

// javaDiskOutcome is what Java ZooKeeper 3.9.3 does after each disk fault, as measured by
// this test on the all-Java ensembles; zkgo nodes must do the same.
var javaDiskOutcome = map[diskKind]string{
	truncateTail: outcomeRecovered,
	flipByte:     outcomeRefused,
}

func (s *Scenario) diskFault(kind diskKind) (string, error) {
	n := s.follower()
	s.note("kill -9 %s before a disk fault", n)
	if err := s.C.Kill(n, dc.SIGKILL); err != nil {
		return "", err
	}
	desc, err := corruptNewestLog(filepath.Join(n.DataDir, "version-2"), kind)
	if err != nil {
		return "", fmt.Errorf("%s: %w", n, err)
	}
	s.note("disk fault on %s: %s; restart", n, desc)
	if err := s.C.Start(n); err != nil {
		return "", err
	}
	outcome, err := s.startOutcome(n, 60*time.Second)
	if err != nil {
		return "", err
	}
	target := fmt.Sprintf("%s (%s): %s", names([]*Node{n}), desc, outcome)
	s.disk = append(s.disk, DiskOutcome{Impl: n.Impl, Kind: kind, Outcome: outcome, Detail: desc})
	if want := javaDiskOutcome[kind]; outcome != want {
		msg := fmt.Sprintf("%s after disk fault %q: %s, but Java ZooKeeper %s", n, kind, outcome, want)
		if n.Impl == Zkgo {
			s.out.Notes = append(s.out.Notes, "divergence: "+msg)
			s.t.Errorf("divergence: %s\n%s", msg, s.C.LogTail(n, 20))
		} else {
			s.t.Logf("note: %s (the table javaDiskOutcome is out of date)", msg)
		}
	}
	if outcome == outcomeRefused {
		// The operator's repair: empty the dataDir (keep myid) and let the leader resync it.
		cause := causeLine(s.C.LogTail(n, 60))
		s.disk[len(s.disk)-1].Detail += "; stopped with: " + cause
		s.note("%s refused to start (%s); wiping its dataDir", n, cause)
		if err := wipeData(n.DataDir); err != nil {
			return target, err
		}
		n.down = true
		if err := s.C.Start(n); err != nil {
			return target, err
		}
	}
	return target, s.C.WaitHealthy(healTimeout)
}

// startOutcome watches a restarted node: refused when its container exits, recovered when it
// serves as a follower.
func (s *Scenario) startOutcome(n *Node, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		running, _, err := s.C.Running(n)
		if err != nil {
			return "", err
		}
		if !running {
			n.down = true
			return outcomeRefused, nil
		}
		if m, err := s.C.Mode(n); err == nil && (m == "follower" || m == "leader" || m == "observer") {
			return outcomeRecovered, nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return "", fmt.Errorf("%s neither served nor exited %v after a disk fault:\n%s", n, timeout, s.C.LogTail(n, 30))
}

// causeLine picks the line of a log tail that says why a server stopped: the first error or
// exception line that is not the final "Exiting JVM" one, else the last line.
func causeLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	clip := func(l string) string {
		if len(l) > 240 {
			return l[:240]
		}
		return l
	}
	for _, l := range lines {
		l = strings.TrimSpace(l)
		low := strings.ToLower(l)
		if strings.Contains(low, "exiting jvm") || strings.HasPrefix(l, "at ") {
			continue
		}
		if strings.Contains(low, "error") || strings.Contains(low, "exception") || strings.Contains(low, "crc") {
			return clip(l)
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return clip(l)
		}
	}
	return ""
}

func wipeData(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.Name() == "myid" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// txnEntry is one entry of a txn log file: crc (8), length (4), txn bytes, 'B' (1).
type txnEntry struct{ off, n int64 }

// logEntries parses the entries of a txn log (Java's FileTxnLog format: 16-byte file header
// "ZKLG", version 2, dbid; then entries until a zero length or the end of the file).
func logEntries(b []byte) ([]txnEntry, error) {
	if len(b) < 16 || string(b[:4]) != "ZKLG" {
		return nil, fmt.Errorf("not a txn log (header %q)", b[:min(4, len(b))])
	}
	var out []txnEntry
	off := int64(16)
	for off+12 <= int64(len(b)) {
		n := int64(int32(binary.BigEndian.Uint32(b[off+8:])))
		if n <= 0 || off+12+n+1 > int64(len(b)) {
			break
		}
		out = append(out, txnEntry{off, n})
		off += 12 + n + 1
	}
	return out, nil
}

// corruptNewestLog damages the last entry of the newest txn log that has entries.
func corruptNewestLog(dir string, kind diskKind) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	type lf struct {
		name string
		zxid uint64
	}
	var logs []lf
	for _, e := range ents {
		if z, ok := strings.CutPrefix(e.Name(), "log."); ok {
			if v, err := strconv.ParseUint(z, 16, 64); err == nil {
				logs = append(logs, lf{e.Name(), v})
			}
		}
	}
	sort.Slice(logs, func(i, j int) bool { return logs[i].zxid > logs[j].zxid })
	for _, l := range logs {
		p := filepath.Join(dir, l.name)
		b, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		es, err := logEntries(b)
		if err != nil {
			return "", fmt.Errorf("%s: %w", p, err)
		}
		if len(es) == 0 {
			continue
		}
		last := es[len(es)-1]
		mid := last.off + 12 + last.n/2
		switch kind {
		case truncateTail:
			if err := os.Truncate(p, mid); err != nil {
				return "", err
			}
			return fmt.Sprintf("%s (%d entries) truncated to %d bytes, inside its last entry [%d, %d)", l.name, len(es), mid, last.off, last.off+12+last.n+1), nil
		case flipByte:
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				return "", err
			}
			_, err = f.WriteAt([]byte{b[mid] ^ 0xff}, mid)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%s (%d entries): byte %d of its last entry [%d, %d) flipped 0x%02x->0x%02x", l.name, len(es), mid, last.off, last.off+12+last.n+1, b[mid], b[mid]^0xff), nil
		}
	}
	return "", fmt.Errorf("no txn log with entries in %s", dir)
}
