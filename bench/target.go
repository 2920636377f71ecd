package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/zkgotest"
)

// Target is a running server or ensemble under load.
type Target interface {
	Name() string  // "zkgo", "java-3.9.3", "zkgo-3", ...
	Group() string // "standalone", "3-node", "external"
	Addrs() []string
	// Procs lists the server processes to sample (pid, name); none for external targets.
	Procs() []Proc
	Close() error
}

// Proc is one server process of a target.
type Proc struct {
	Pid  int
	Name string
}

// Ensemble is a multi-node target whose members can be killed (leader re-election).
type Ensemble interface {
	Target
	Size() int
	Mode(i int) (string, error) // srvr's Mode, "" when it does not answer
	Kill(i int) error           // SIGKILL member i
}

// TargetSpec says how to start a target.
type TargetSpec struct {
	Kind        string // zkgo, java, zkgo3, java3, inproc, or an address list
	ZkgoBin     string // zkgo binary (default: this executable)
	JavaVersion string
	JavaHeap    string // -Xmx value for Java (e.g. 1000m); "" keeps the oracle's default
	TickTime    int    // ms, both kinds
	Dir         string // parent folder for server directories ("" = a temp dir)
	// NoForceSync starts the servers with forceSync=no (zoo.cfg; Java reads it as the system
	// property zookeeper.forceSync): the txn log is never fsynced. The kinds zkgo-nosync and
	// java-nosync set it.
	NoForceSync bool
	Logf        func(string, ...any)
}

// StartInfo tells how long start-up took.
type StartInfo struct {
	// ToServe is from the exec of each process to the first request it served (the slowest
	// member for an ensemble).
	ToServe time.Duration
}

// StartTarget starts the target described by spec and waits until it serves.
func StartTarget(spec TargetSpec) (Target, StartInfo, error) {
	if spec.JavaVersion == "" {
		spec.JavaVersion = oracle.V3_9_3
	}
	if spec.TickTime <= 0 {
		spec.TickTime = 2000
	}
	if k, ok := strings.CutSuffix(spec.Kind, NoSyncSuffix); ok && (k == "zkgo" || k == "java") {
		spec.Kind, spec.NoForceSync = k, true
	}
	switch spec.Kind {
	case "zkgo":
		return startZkgo(spec, 1)
	case "zkgo3":
		return startZkgo(spec, 3)
	case "java":
		return startJava(spec, 1)
	case "java3":
		return startJava(spec, 3)
	case "inproc":
		return startInproc(spec)
	}
	if strings.Contains(spec.Kind, ":") {
		addrs := strings.FieldsFunc(spec.Kind, func(r rune) bool { return r == '/' || r == ',' || r == ' ' })
		return &external{addrs: addrs}, StartInfo{}, nil
	}
	return nil, StartInfo{}, fmt.Errorf("bench: unknown target %q (zkgo, java, zkgo3, java3, inproc, or host:port[/host:port...])", spec.Kind)
}

// NoSyncSuffix marks the kinds zkgo-nosync and java-nosync (standalone, forceSync=no), and
// their targets' names and group.
const NoSyncSuffix = "-nosync"

type external struct{ addrs []string }

func (e *external) Name() string    { return strings.Join(e.addrs, "/") }
func (e *external) Group() string   { return "external" }
func (e *external) Addrs() []string { return e.addrs }
func (e *external) Procs() []Proc   { return nil }
func (e *external) Close() error    { return nil }
func (e *external) String() string  { return e.Name() }
func groupOf(n int) string {
	if n == 1 {
		return "standalone"
	}
	return strconv.Itoa(n) + "-node"
}

// ---- zkgo as separate processes (bin/zkgo server zoo.cfg) ----

type zkgoNode struct {
	id      int
	dir     string
	cfgPath string
	addr    string

	mu   sync.Mutex
	pid  int
	kill func() error
	done chan struct{}
}

type zkgoTarget struct {
	name   string
	group  string
	bin    string
	nodes  []*zkgoNode
	dir    string
	remove bool
}

func binaryOf(spec TargetSpec) (string, error) {
	if spec.ZkgoBin != "" {
		return filepath.Abs(spec.ZkgoBin)
	}
	return os.Executable()
}

func workDir(spec TargetSpec, name string) (string, bool, error) {
	if spec.Dir != "" {
		d := filepath.Join(spec.Dir, name)
		os.RemoveAll(d)
		return d, false, os.MkdirAll(d, 0o755)
	}
	d, err := os.MkdirTemp("", "zkgo-bench-"+name+"-")
	return d, true, err
}

func startZkgo(spec TargetSpec, n int) (Target, StartInfo, error) {
	bin, err := binaryOf(spec)
	if err != nil {
		return nil, StartInfo{}, err
	}
	name := "zkgo"
	if n > 1 {
		name = fmt.Sprintf("zkgo-%d", n)
	}
	group := groupOf(n)
	if spec.NoForceSync {
		name, group = name+NoSyncSuffix, group+NoSyncSuffix
	}
	dir, remove, err := workDir(spec, name)
	if err != nil {
		return nil, StartInfo{}, err
	}
	t := &zkgoTarget{name: name, group: group, bin: bin, dir: dir, remove: remove}
	var serverLines []string
	var ports []int
	if n > 1 {
		ms, err := oracle.AllocateMembers(n, false)
		if err != nil {
			return nil, StartInfo{}, err
		}
		serverLines = oracle.ServerLines(ms, "")
		for _, m := range ms {
			ports = append(ports, m.ClientPort)
		}
	} else if ports, err = oracle.FreePorts(1); err != nil {
		return nil, StartInfo{}, err
	}
	for i := 0; i < n; i++ {
		nd := &zkgoNode{id: i + 1, dir: filepath.Join(dir, "node"+strconv.Itoa(i+1)), addr: "127.0.0.1:" + strconv.Itoa(ports[i])}
		nd.cfgPath = filepath.Join(nd.dir, "zoo.cfg")
		data := filepath.Join(nd.dir, "data")
		if err := os.MkdirAll(data, 0o755); err != nil {
			return nil, StartInfo{}, err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "tickTime=%d\ninitLimit=10\nsyncLimit=5\ndataDir=%s\n", spec.TickTime, data)
		fmt.Fprintf(&b, "clientPort=%d\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=*\nadmin.enableServer=false\n", ports[i])
		if spec.NoForceSync {
			b.WriteString("forceSync=no\n")
		}
		for _, l := range serverLines {
			b.WriteString(l + "\n")
		}
		if err := os.WriteFile(nd.cfgPath, []byte(b.String()), 0o644); err != nil {
			return nil, StartInfo{}, err
		}
		if n > 1 {
			if err := os.WriteFile(filepath.Join(data, "myid"), []byte(strconv.Itoa(i+1)+"\n"), 0o644); err != nil {
				return nil, StartInfo{}, err
			}
		}
		t.nodes = append(t.nodes, nd)
	}
	info, err := t.launchAll(60 * time.Second)
	if err != nil {
		t.Close()
		return nil, StartInfo{}, err
	}
	return t, info, nil
}

func (t *zkgoTarget) launchAll(timeout time.Duration) (StartInfo, error) {
	var info StartInfo
	var mu sync.Mutex
	errl := make([]error, len(t.nodes))
	var wg sync.WaitGroup
	for i, nd := range t.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start, err := nd.launch(t.bin)
			if err != nil {
				errl[i] = err
				return
			}
			at, err := waitServing(nd.addr, start.Add(timeout), nd.done, false)
			if err != nil {
				errl[i] = fmt.Errorf("%w; log: %s", err, tailFile(filepath.Join(nd.dir, "server.log"), 15))
				return
			}
			mu.Lock()
			info.ToServe = max(info.ToServe, at.Sub(start))
			mu.Unlock()
		}()
	}
	wg.Wait()
	return info, errors.Join(errl...)
}

// launch starts the process and returns the time of the exec.
func (nd *zkgoNode) launch(bin string) (time.Time, error) {
	logf, err := os.OpenFile(filepath.Join(nd.dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return time.Time{}, err
	}
	cmd := exec.Command(bin, "server", nd.cfgPath)
	cmd.Dir = nd.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "ZKGO_LOG=warn")
	// The server dies with the thread that forked it (PR_SET_PDEATHSIG): the goroutine keeps
	// that thread locked until the process exits, so a killed bench leaves nothing behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	done := make(chan struct{})
	started := make(chan error, 1)
	var at time.Time
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		at = time.Now()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		cmd.Wait()
		logf.Close()
		close(done)
	}()
	if err := <-started; err != nil {
		logf.Close()
		return time.Time{}, fmt.Errorf("bench: starting %s: %w", bin, err)
	}
	nd.mu.Lock()
	nd.pid, nd.done = cmd.Process.Pid, done
	nd.kill = func() error { return cmd.Process.Signal(syscall.SIGKILL) }
	nd.mu.Unlock()
	return at, nil
}

func (nd *zkgoNode) stop() {
	nd.mu.Lock()
	pid, done := nd.pid, nd.done
	nd.mu.Unlock()
	if done == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		nd.kill()
		<-done
	}
}

func (t *zkgoTarget) Name() string  { return t.name }
func (t *zkgoTarget) Group() string { return t.group }
func (t *zkgoTarget) Size() int     { return len(t.nodes) }
func (t *zkgoTarget) Addrs() []string {
	var out []string
	for _, nd := range t.nodes {
		out = append(out, nd.addr)
	}
	return out
}

func (t *zkgoTarget) Procs() []Proc {
	var out []Proc
	for _, nd := range t.nodes {
		nd.mu.Lock()
		name := t.name
		if len(t.nodes) > 1 {
			name += "/" + strconv.Itoa(nd.id)
		}
		out = append(out, Proc{Pid: nd.pid, Name: name})
		nd.mu.Unlock()
	}
	return out
}

func (t *zkgoTarget) Mode(i int) (string, error) {
	r, err := oracle.FourLetter(t.nodes[i].addr, "srvr", 2*time.Second)
	return oracle.SrvrMode(r), err
}

func (t *zkgoTarget) Kill(i int) error {
	nd := t.nodes[i]
	nd.mu.Lock()
	kill, done := nd.kill, nd.done
	nd.mu.Unlock()
	if kill == nil {
		return nil
	}
	err := kill()
	<-done
	return err
}

func (t *zkgoTarget) Close() error {
	var wg sync.WaitGroup
	for _, nd := range t.nodes {
		wg.Add(1)
		go func() { defer wg.Done(); nd.stop() }()
	}
	wg.Wait()
	if t.remove {
		return os.RemoveAll(t.dir)
	}
	return nil
}

func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return tail(string(b), n)
}

// ---- Java through the oracle ----

type javaTarget struct {
	name    string
	group   string
	servers []*oracle.Server
	ens     *oracle.Ensemble
}

func javaOptions(spec TargetSpec) oracle.Options {
	o := oracle.Options{TickTime: spec.TickTime, NoWait: true}
	if spec.JavaHeap != "" {
		o.JVMFlags = append(o.JVMFlags, "-Xmx"+spec.JavaHeap)
	}
	if spec.NoForceSync {
		o.Extra = append(o.Extra, "forceSync=no")
	}
	return o
}

func startJava(spec TargetSpec, n int) (Target, StartInfo, error) {
	// Ensure first (cached: a file read), so the start-up time is the JVM's only.
	if _, err := oracle.Ensure(spec.JavaVersion); err != nil {
		return nil, StartInfo{}, err
	}
	t := &javaTarget{name: "java-" + spec.JavaVersion, group: groupOf(n)}
	if n > 1 {
		t.name += "-" + strconv.Itoa(n)
	}
	if spec.NoForceSync {
		t.name, t.group = t.name+NoSyncSuffix, t.group+NoSyncSuffix
	}
	start := time.Now()
	if n == 1 {
		s, err := oracle.StartStandalone(nil, spec.JavaVersion, javaOptions(spec))
		if err != nil {
			return nil, StartInfo{}, err
		}
		t.servers = []*oracle.Server{s}
	} else {
		e, err := oracle.StartEnsemble(nil, spec.JavaVersion, n, javaOptions(spec))
		if err != nil {
			return nil, StartInfo{}, err
		}
		t.ens, t.servers = e, e.Servers
	}
	var info StartInfo
	var mu sync.Mutex
	errl := make([]error, len(t.servers))
	var wg sync.WaitGroup
	for i, s := range t.servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at, err := waitServing(s.ClientAddr(), start.Add(90*time.Second), nil, false)
			if err != nil {
				errl[i] = fmt.Errorf("%w; log: %s", err, s.LogTail(15))
				return
			}
			mu.Lock()
			info.ToServe = max(info.ToServe, at.Sub(start))
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := errors.Join(errl...); err != nil {
		t.Close()
		return nil, StartInfo{}, err
	}
	return t, info, nil
}

func (t *javaTarget) Name() string  { return t.name }
func (t *javaTarget) Group() string { return t.group }
func (t *javaTarget) Size() int     { return len(t.servers) }
func (t *javaTarget) Addrs() []string {
	var out []string
	for _, s := range t.servers {
		out = append(out, s.ClientAddr())
	}
	return out
}

func (t *javaTarget) Procs() []Proc {
	var out []Proc
	for _, s := range t.servers {
		name := t.name
		if len(t.servers) > 1 {
			name += "/" + strconv.Itoa(s.Myid)
		}
		out = append(out, Proc{Pid: s.Pid(), Name: name})
	}
	return out
}

func (t *javaTarget) Mode(i int) (string, error) { return t.servers[i].Mode() }
func (t *javaTarget) Kill(i int) error           { return t.servers[i].Kill() }

func (t *javaTarget) Close() error {
	if t.ens != nil {
		return t.ens.Close()
	}
	var errl []error
	for _, s := range t.servers {
		errl = append(errl, s.Close())
	}
	return errors.Join(errl...)
}

// ---- zkgo in this process (for profiling; its RSS and CPU are the bench's own) ----

type inprocTarget struct {
	srv *zkgotest.Server
	dir string
}

func startInproc(spec TargetSpec) (Target, StartInfo, error) {
	dir, _, err := workDir(TargetSpec{Dir: spec.Dir}, "inproc")
	if err != nil {
		return nil, StartInfo{}, err
	}
	start := time.Now()
	s, err := zkgotest.StartServer(dir, zkgotest.WithConfig("tickTime", strconv.Itoa(spec.TickTime)))
	if err != nil {
		return nil, StartInfo{}, err
	}
	at, err := waitServing(s.Addr(), time.Now().Add(30*time.Second), nil, false)
	if err != nil {
		s.Stop()
		return nil, StartInfo{}, err
	}
	return &inprocTarget{srv: s, dir: dir}, StartInfo{ToServe: at.Sub(start)}, nil
}

func (t *inprocTarget) Name() string    { return "zkgo-inproc" }
func (t *inprocTarget) Group() string   { return "standalone" }
func (t *inprocTarget) Addrs() []string { return []string{t.srv.Addr()} }
func (t *inprocTarget) Procs() []Proc   { return []Proc{{Pid: os.Getpid(), Name: "zkgo-inproc+bench"}} }
func (t *inprocTarget) Close() error {
	t.srv.Stop()
	return os.RemoveAll(t.dir)
}
