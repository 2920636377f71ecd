package oracle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// MainClass is the class every server node runs.
const MainClass = "org.apache.zookeeper.server.quorum.QuorumPeerMain"

// Options shape the servers StartStandalone, StartEnsemble and StartMembers launch. The zero
// value is a usable default.
type Options struct {
	TickTime  int // milliseconds; 0 means 2000
	InitLimit int // ticks; 0 means 10
	SyncLimit int // ticks; 0 means 5

	// AdminServer enables Jetty's AdminServer (3.5 and later) on its own free port of
	// 127.0.0.1 (Server.AdminPort). Off by default: admin.enableServer=false.
	AdminServer bool

	// Extra zoo.cfg lines ("key=value"), written after the generated ones; ZooKeeper keeps
	// the last value of a repeated key, so they can override the defaults.
	Extra []string

	// JVMFlags come after DefaultJVMFlags, e.g. "-Dzookeeper.extendedTypesEnabled=true".
	JVMFlags []string

	// Observers lists the ids (StartEnsemble numbers nodes from 1) that run as observers.
	Observers []int

	// DataDir makes StartStandalone use this folder as its dataDir (it may hold data written
	// by someone else; it is never removed). Empty: a fresh folder in the node's directory.
	DataDir string

	// StartTimeout bounds the wait for readiness (a "Mode:" line in srvr); 0 means 60 s.
	StartTimeout time.Duration

	// NoWait returns as soon as the JVMs are launched, without waiting for readiness (for an
	// ensemble that also needs members the caller starts itself). Use WaitReady afterwards.
	NoWait bool
}

func (o Options) startTimeout() time.Duration {
	if o.StartTimeout > 0 {
		return o.StartTimeout
	}
	return 60 * time.Second
}

func (o Options) isObserver(id int) bool {
	for _, x := range o.Observers {
		if x == id {
			return true
		}
	}
	return false
}

// Server is one Java ZooKeeper process (a standalone server or one ensemble node).
type Server struct {
	Version    string
	Myid       int    // 0 for a standalone server
	Dir        string // the node's folder: zoo.cfg, server.log and (by default) data/
	DataDir    string
	ConfigPath string
	LogPath    string // the JVM's stdout and stderr

	Host         string // 127.0.0.1
	ClientPort   int
	QuorumPort   int // 0 for a standalone server
	ElectionPort int // 0 for a standalone server
	AdminPort    int // 0 unless Options.AdminServer
	Observer     bool

	dist         *Dist
	jvmFlags     []string
	startTimeout time.Duration
	removeDir    bool // Close removes Dir (it was made with os.MkdirTemp)

	mu       sync.Mutex
	proc     *proc
	reported bool // an error returned to the caller already carried the log's tail
}

type proc struct {
	pid  int
	kill func(syscall.Signal) error
	done chan struct{}
	err  error // from Wait, valid after done is closed
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// ClientAddr is the client address, "127.0.0.1:port".
func (s *Server) ClientAddr() string { return hostPort(s.Host, s.ClientPort) }

// String names the server in messages.
func (s *Server) String() string {
	if s.Myid == 0 {
		return fmt.Sprintf("ZooKeeper %s standalone (%s)", s.Version, s.ClientAddr())
	}
	return fmt.Sprintf("ZooKeeper %s server.%d (%s)", s.Version, s.Myid, s.ClientAddr())
}

// Launch starts the JVM and returns without waiting for it to serve.
func (s *Server) Launch() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil && !s.proc.exited() {
		return fmt.Errorf("oracle: %s: already running (pid %d)", s, s.proc.pid)
	}
	logf, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("oracle: %s: %w", s, err)
	}
	fmt.Fprintf(logf, "=== oracle: %s starting at %s\n", s, time.Now().Format(time.RFC3339Nano))
	cmd := s.dist.Command(context.Background(), s.jvmFlags, MainClass, s.ConfigPath)
	cmd.Dir = s.Dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	// The JVM dies with the thread that forked it: the goroutine below keeps that thread
	// locked until the JVM exits, so a test binary that is killed leaves no server behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &proc{done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		p.pid = cmd.Process.Pid
		p.kill = func(sig syscall.Signal) error { return cmd.Process.Signal(sig) }
		started <- nil
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	if err := <-started; err != nil {
		logf.Close()
		return fmt.Errorf("oracle: %s: starting %s: %w", s, s.dist.Java, err)
	}
	s.proc = p
	return nil
}

// Start launches the JVM and waits until it serves (see WaitReady).
func (s *Server) Start() error {
	if err := s.Launch(); err != nil {
		return err
	}
	_, err := s.WaitReady(s.startTimeout)
	return err
}

// Restart stops the server (SIGTERM) and starts it again with the same configuration, ports
// and data.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.Start()
}

func (s *Server) current() *proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc
}

// Running reports whether the JVM has been launched and has not exited.
func (s *Server) Running() bool {
	p := s.current()
	return p != nil && !p.exited()
}

// Pid is the JVM's process id, or 0 when it is not running.
func (s *Server) Pid() int {
	if p := s.current(); p != nil && !p.exited() {
		return p.pid
	}
	return 0
}

// Kill sends SIGKILL and waits for the JVM to exit.
func (s *Server) Kill() error {
	p := s.current()
	if p == nil || p.exited() {
		return nil
	}
	if err := p.kill(syscall.SIGKILL); err != nil && !p.exited() {
		return fmt.Errorf("oracle: %s: kill: %w", s, err)
	}
	<-p.done
	return nil
}

// Stop sends SIGTERM, waits up to 10 s for the JVM to exit, then kills it.
func (s *Server) Stop() error {
	p := s.current()
	if p == nil || p.exited() {
		return nil
	}
	if err := p.kill(syscall.SIGTERM); err != nil && !p.exited() {
		return fmt.Errorf("oracle: %s: SIGTERM: %w", s, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
	}
	return s.Kill()
}

// Close stops the server and removes its directory when the harness made it outside a
// test's TempDir. A DataDir given in Options is never removed.
func (s *Server) Close() error {
	err := s.Stop()
	if s.removeDir {
		if rerr := os.RemoveAll(s.Dir); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

// FourLetter sends a four-letter word to this server's client port.
func (s *Server) FourLetter(word string, timeout time.Duration) (string, error) {
	return FourLetter(s.ClientAddr(), word, timeout)
}

// Mode asks srvr once and returns the Mode line's value ("standalone", "leader", "follower",
// "observer").
func (s *Server) Mode() (string, error) {
	reply, err := s.FourLetter("srvr", 2*time.Second)
	if err != nil {
		return "", err
	}
	if m := SrvrMode(reply); m != "" {
		return m, nil
	}
	return "", fmt.Errorf("oracle: %s: srvr has no Mode line: %q", s, strings.TrimSpace(reply))
}

// WaitReady polls srvr (a fresh connection each time, 4 bytes, bounded reads) until it
// reports a Mode, and returns that mode. It fails early if the JVM exits, and with the tail of
// the log when timeout passes.
func (s *Server) WaitReady(timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	last := "no reply yet"
	for {
		p := s.current()
		if p == nil {
			return "", fmt.Errorf("oracle: %s: not started", s)
		}
		if p.exited() {
			s.markReported()
			return "", fmt.Errorf("oracle: %s exited before serving (%v); %s", s, p.err, s.logReport(40))
		}
		left := time.Until(deadline)
		if left <= 0 {
			s.markReported()
			return "", fmt.Errorf("oracle: %s not ready after %v (last srvr: %s); %s", s, timeout, last, s.logReport(40))
		}
		reply, err := FourLetter(s.ClientAddr(), "srvr", min(2*time.Second, left))
		if m := SrvrMode(reply); m != "" {
			return m, nil
		}
		if err != nil {
			last = err.Error()
		} else {
			last = strconv.Quote(strings.TrimSpace(reply))
		}
		select {
		case <-p.done:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// LogTail returns the last n lines of the server's log.
func (s *Server) LogTail(n int) string {
	f, err := os.Open(s.LogPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", s.LogPath, err)
	}
	defer f.Close()
	const max = 256 << 10
	if st, err := f.Stat(); err == nil && st.Size() > max {
		f.Seek(st.Size()-max, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return tail(string(b), n)
}

func (s *Server) markReported() {
	s.mu.Lock()
	s.reported = true
	s.mu.Unlock()
}

// cleanupReport logs the log's tail through tb when the test failed, unless an error already
// carried it.
func (s *Server) cleanupReport(tb testing.TB) {
	s.mu.Lock()
	done := s.reported
	s.mu.Unlock()
	if tb.Failed() && !done {
		tb.Logf("%s: %s", s, s.logReport(30))
	}
}

func (s *Server) logReport(n int) string {
	return fmt.Sprintf("log %s, last lines:\n%s", s.LogPath, s.LogTail(n))
}

// nodeConfig is what writeConfig needs beyond the Server's own fields.
type nodeConfig struct {
	opts        Options
	serverLines []string // empty: standalone
}

func (s *Server) writeConfig(nc nodeConfig) error {
	o := nc.opts
	tick, initL, syncL := o.TickTime, o.InitLimit, o.SyncLimit
	if tick <= 0 {
		tick = 2000
	}
	if initL <= 0 {
		initL = 10
	}
	if syncL <= 0 {
		syncL = 5
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# written by github.com/zkgo/zkgo/oracle for %s\n", s)
	fmt.Fprintf(&b, "tickTime=%d\ninitLimit=%d\nsyncLimit=%d\n", tick, initL, syncL)
	fmt.Fprintf(&b, "dataDir=%s\n", s.DataDir)
	fmt.Fprintf(&b, "clientPort=%d\nclientPortAddress=%s\n", s.ClientPort, s.Host)
	b.WriteString("4lw.commands.whitelist=*\n")
	if s.AdminPort != 0 {
		fmt.Fprintf(&b, "admin.enableServer=true\nadmin.serverAddress=%s\nadmin.serverPort=%d\n", s.Host, s.AdminPort)
	} else {
		b.WriteString("admin.enableServer=false\n")
	}
	if s.Observer {
		b.WriteString("peerType=observer\n")
	}
	for _, l := range nc.serverLines {
		b.WriteString(l + "\n")
	}
	for _, l := range o.Extra {
		b.WriteString(strings.TrimRight(l, "\n") + "\n")
	}
	if err := os.WriteFile(s.ConfigPath, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("oracle: %s: %w", s, err)
	}
	return nil
}

// nodeDir returns a fresh folder for a node: inside tb.TempDir() when tb is given, else a new
// os.MkdirTemp folder (which Close removes).
func nodeDir(tb testing.TB, name string) (dir string, remove bool, err error) {
	if tb != nil {
		dir = filepath.Join(tb.TempDir(), name)
		return dir, false, os.MkdirAll(dir, 0o755)
	}
	dir, err = os.MkdirTemp("", "zkgo-oracle-"+name+"-")
	return dir, true, err
}

// StartStandalone starts one standalone Java ZooKeeper of the given version on free loopback
// ports and waits until it serves. With a non-nil tb, Close is registered with tb.Cleanup
// (and the log's tail is logged when the test failed).
func StartStandalone(tb testing.TB, version string, opts Options) (*Server, error) {
	if tb != nil {
		tb.Helper()
	}
	d, err := Ensure(version)
	if err != nil {
		return nil, err
	}
	nports := 1
	if opts.AdminServer {
		nports = 2
	}
	ports, err := FreePorts(nports)
	if err != nil {
		return nil, err
	}
	dir, remove, err := nodeDir(tb, "zk-"+version)
	if err != nil {
		return nil, fmt.Errorf("oracle: node directory: %w", err)
	}
	s := &Server{
		Version:      version,
		Dir:          dir,
		DataDir:      opts.DataDir,
		ConfigPath:   filepath.Join(dir, "zoo.cfg"),
		LogPath:      filepath.Join(dir, "server.log"),
		Host:         "127.0.0.1",
		ClientPort:   ports[0],
		dist:         d,
		jvmFlags:     opts.JVMFlags,
		startTimeout: opts.startTimeout(),
		removeDir:    remove,
	}
	if opts.AdminServer {
		s.AdminPort = ports[1]
	}
	if s.DataDir == "" {
		s.DataDir = filepath.Join(dir, "data")
	} else if s.DataDir, err = filepath.Abs(s.DataDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("oracle: %s: dataDir: %w", s, err)
	}
	if err := s.writeConfig(nodeConfig{opts: opts}); err != nil {
		return nil, err
	}
	if tb != nil {
		tb.Cleanup(func() {
			s.cleanupReport(tb)
			s.Close()
		})
	}
	if err := s.Launch(); err != nil {
		if tb == nil {
			s.Close()
		}
		return nil, err
	}
	if !opts.NoWait {
		if _, err := s.WaitReady(s.startTimeout); err != nil {
			if tb == nil {
				s.Close()
			} else {
				s.Stop()
			}
			return nil, err
		}
	}
	return s, nil
}

// errs joins non-nil errors.
func errs(list []error) error { return errors.Join(list...) }
