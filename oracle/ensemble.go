package oracle

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Member describes one ensemble member: a Java node the harness runs (Version set) or a node
// the caller runs itself (Version empty, e.g. a zkgo server).
type Member struct {
	ID           int
	Host         string // "" means 127.0.0.1
	ClientPort   int
	QuorumPort   int
	ElectionPort int
	AdminPort    int // used by a Java member when Options.AdminServer is set
	Observer     bool
	Version      string // Java ZooKeeper version to run; "" means the harness does not run it
}

func (m Member) host() string {
	if m.Host == "" {
		return "127.0.0.1"
	}
	return m.Host
}

// ClientAddr is the member's client address, "host:port".
func (m Member) ClientAddr() string { return hostPort(m.host(), m.ClientPort) }

// AllocateMembers returns n members with ids 1..n on 127.0.0.1, with client, quorum and
// election ports (and admin ports when admin is set) all reserved together by FreePorts.
// Version and Observer are left for the caller to fill in.
func AllocateMembers(n int, admin bool) ([]Member, error) {
	if n < 1 {
		return nil, fmt.Errorf("oracle: ensemble of %d members", n)
	}
	per := 3
	if admin {
		per = 4
	}
	ports, err := FreePorts(n * per)
	if err != nil {
		return nil, err
	}
	ms := make([]Member, n)
	for i := range ms {
		p := ports[i*per:]
		ms[i] = Member{ID: i + 1, Host: "127.0.0.1", ClientPort: p[0], QuorumPort: p[1], ElectionPort: p[2]}
		if admin {
			ms[i].AdminPort = p[3]
		}
	}
	return ms, nil
}

// ServerLine is the zoo.cfg line for m in the syntax of the given version:
// "server.N=host:quorum:election[:observer]", followed for 3.5 and later (and for version "",
// the current syntax) by ";host:clientPort" when ClientPort is set.
func ServerLine(m Member, version string) string {
	l := fmt.Sprintf("server.%d=%s:%d:%d", m.ID, m.host(), m.QuorumPort, m.ElectionPort)
	if m.Observer {
		l += ":observer"
	}
	if m.ClientPort != 0 && !strings.HasPrefix(version, "3.4.") {
		l += ";" + m.ClientAddr()
	}
	return l
}

// ServerLines returns the server.N lines of all members in the syntax of version.
func ServerLines(members []Member, version string) []string {
	ls := make([]string, len(members))
	for i, m := range members {
		ls[i] = ServerLine(m, version)
	}
	return ls
}

// Ensemble is a set of members, some of them Java processes run by the harness.
type Ensemble struct {
	Members []Member
	Servers []*Server // the Java members, in Members order

	closeOnce sync.Once
	closeErr  error
}

// StartEnsemble starts n Java nodes of one version (ids 1..n; Options.Observers picks the
// observers) on free loopback ports and waits until every node reports a Mode.
func StartEnsemble(tb testing.TB, version string, n int, opts Options) (*Ensemble, error) {
	if tb != nil {
		tb.Helper()
	}
	vs := make([]string, n)
	for i := range vs {
		vs[i] = version
	}
	return StartMixedEnsemble(tb, vs, opts)
}

// StartMixedEnsemble starts one Java node per entry of versions (node i+1 runs versions[i]).
func StartMixedEnsemble(tb testing.TB, versions []string, opts Options) (*Ensemble, error) {
	if tb != nil {
		tb.Helper()
	}
	ms, err := AllocateMembers(len(versions), opts.AdminServer)
	if err != nil {
		return nil, err
	}
	for i := range ms {
		ms[i].Version = versions[i]
		ms[i].Observer = opts.isObserver(ms[i].ID)
	}
	return StartMembers(tb, ms, opts)
}

// StartMembers writes a configuration for every member with a Version and starts those as
// Java processes; members without a Version appear only in the server lines (the caller runs
// them, with configuration from ServerLines). Unless opts.NoWait, it waits until every Java
// member reports a Mode, so members the caller runs must be started by then or be unneeded
// for a quorum; with opts.NoWait, call WaitReady later. With a non-nil tb, Close is
// registered with tb.Cleanup.
func StartMembers(tb testing.TB, members []Member, opts Options) (*Ensemble, error) {
	if tb != nil {
		tb.Helper()
	}
	e := &Ensemble{Members: append([]Member(nil), members...)}
	seen := map[int]bool{}
	for _, m := range members {
		if m.ID <= 0 || seen[m.ID] {
			return nil, fmt.Errorf("oracle: member id %d is not positive and unique", m.ID)
		}
		seen[m.ID] = true
	}
	if tb != nil {
		tb.Cleanup(func() {
			for _, s := range e.Servers {
				s.cleanupReport(tb)
			}
			e.Close()
		})
	}
	for _, m := range members {
		if m.Version == "" {
			continue
		}
		s, err := newMember(tb, m, members, opts)
		if err != nil {
			if tb == nil {
				e.Close()
			}
			return nil, err
		}
		e.Servers = append(e.Servers, s)
	}
	for _, s := range e.Servers {
		if err := s.Launch(); err != nil {
			if tb == nil {
				e.Close()
			}
			return nil, err
		}
	}
	if !opts.NoWait {
		if err := e.WaitReady(opts.startTimeout()); err != nil {
			if tb == nil {
				e.Close()
			} else {
				e.stopAll()
			}
			return nil, err
		}
	}
	return e, nil
}

func newMember(tb testing.TB, m Member, all []Member, opts Options) (*Server, error) {
	d, err := Ensure(m.Version)
	if err != nil {
		return nil, err
	}
	dir, remove, err := nodeDir(tb, fmt.Sprintf("zk%d-%s", m.ID, m.Version))
	if err != nil {
		return nil, fmt.Errorf("oracle: node directory: %w", err)
	}
	s := &Server{
		Version:      m.Version,
		Myid:         m.ID,
		Dir:          dir,
		DataDir:      filepath.Join(dir, "data"),
		ConfigPath:   filepath.Join(dir, "zoo.cfg"),
		LogPath:      filepath.Join(dir, "server.log"),
		Host:         m.host(),
		ClientPort:   m.ClientPort,
		QuorumPort:   m.QuorumPort,
		ElectionPort: m.ElectionPort,
		Observer:     m.Observer,
		dist:         d,
		jvmFlags:     opts.JVMFlags,
		startTimeout: opts.startTimeout(),
		removeDir:    remove,
	}
	if opts.AdminServer {
		s.AdminPort = m.AdminPort
		if s.AdminPort == 0 {
			p, err := FreePorts(1)
			if err != nil {
				return nil, err
			}
			s.AdminPort = p[0]
		}
	}
	if err := writeMyid(s.DataDir, m.ID); err != nil {
		return nil, fmt.Errorf("oracle: %s: %w", s, err)
	}
	if err := s.writeConfig(nodeConfig{opts: opts, serverLines: ServerLines(all, m.Version)}); err != nil {
		return nil, err
	}
	return s, nil
}

// writeMyid creates dataDir (if needed) and writes its myid file.
func writeMyid(dataDir string, id int) error {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dataDir, "myid"), []byte(strconv.Itoa(id)+"\n"), 0o644)
}

// Server returns the Java server with the given id, or nil.
func (e *Ensemble) Server(id int) *Server {
	for _, s := range e.Servers {
		if s.Myid == id {
			return s
		}
	}
	return nil
}

// Addrs returns the client addresses of all members with a client port, in member order.
func (e *Ensemble) Addrs() []string {
	var as []string
	for _, m := range e.Members {
		if m.ClientPort != 0 {
			as = append(as, m.ClientAddr())
		}
	}
	return as
}

// ConnectString is the comma-joined Addrs.
func (e *Ensemble) ConnectString() string { return strings.Join(e.Addrs(), ",") }

// WaitReady waits until every Java member that is running reports a Mode.
func (e *Ensemble) WaitReady(timeout time.Duration) error {
	return e.parallel(func(s *Server) error {
		if s.current() == nil {
			return nil
		}
		_, err := s.WaitReady(timeout)
		return err
	})
}

// Modes asks every running Java member for its mode once; a member that does not answer is
// missing from the map.
func (e *Ensemble) Modes() map[int]string {
	out := map[int]string{}
	for _, s := range e.Servers {
		if !s.Running() {
			continue
		}
		if m, err := s.Mode(); err == nil {
			out[s.Myid] = m
		}
	}
	return out
}

// Leader asks the running Java members (srvr) which one leads, once.
func (e *Ensemble) Leader() (*Server, error) {
	var seen []string
	for _, s := range e.Servers {
		if !s.Running() {
			continue
		}
		m, err := s.Mode()
		if err != nil {
			seen = append(seen, fmt.Sprintf("server.%d: %v", s.Myid, err))
			continue
		}
		if m == "leader" {
			return s, nil
		}
		seen = append(seen, fmt.Sprintf("server.%d: %s", s.Myid, m))
	}
	return nil, fmt.Errorf("oracle: no running Java member leads (%s)", strings.Join(seen, "; "))
}

// AwaitLeader polls Leader until one answers or timeout passes.
func (e *Ensemble) AwaitLeader(timeout time.Duration) (*Server, error) {
	deadline := time.Now().Add(timeout)
	for {
		s, err := e.Leader()
		if err == nil {
			return s, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("after %v: %w", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// parallel runs f on every Java member at once and joins the errors.
func (e *Ensemble) parallel(f func(*Server) error) error {
	errl := make([]error, len(e.Servers))
	var wg sync.WaitGroup
	for i, s := range e.Servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errl[i] = f(s)
		}()
	}
	wg.Wait()
	return errs(errl)
}

func (e *Ensemble) stopAll() error { return e.parallel((*Server).Stop) }

// Close stops every Java member (in parallel) and removes the directories the harness made
// outside a test's TempDir.
func (e *Ensemble) Close() error {
	e.closeOnce.Do(func() { e.closeErr = e.parallel((*Server).Close) })
	return e.closeErr
}
