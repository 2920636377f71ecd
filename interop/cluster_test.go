package interop

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ory/dockertest/v3"
	dc "github.com/ory/dockertest/v3/docker"
)

// Impl is what runs a node: "zkgo" or "java-<version>".
type Impl string

// The implementations the images provide.
const (
	Zkgo     Impl = "zkgo"
	Java3413 Impl = "java-3.4.13"
	Java380  Impl = "java-3.8.0"
	Java393  Impl = "java-3.9.3"
)

// Image is the local image (repository:tag) that runs impl: the run's pinned tag once
// pinImages ran.
func (i Impl) Image() string {
	if p, ok := pinned[i.baseImage()]; ok {
		return p
	}
	return i.baseImage()
}

func (i Impl) baseImage() string {
	if i == Zkgo {
		return zkgoImage()
	}
	return "zkgo-java:" + strings.TrimPrefix(string(i), "java-")
}

// pinned maps each image to a tag of this test process (<repo>:<tag>-run-<pid>: the original
// tag stays in it, as zkgo-java holds one tag per version), so that every
// container of a run uses the images as they were when it started, even if another run
// rebuilds zkgo:local meanwhile (which would otherwise also delete the old image).
var pinned = map[string]string{}

func runTag(tag string, pid int) string { return fmt.Sprintf("%s-run-%d", tag, pid) }

// runTagPid is the pid in a tag made by runTag.
func runTagPid(tag string) (int, bool) {
	i := strings.LastIndex(tag, "-run-")
	if i < 0 {
		return 0, false
	}
	pid, err := strconv.Atoi(tag[i+len("-run-"):])
	return pid, err == nil
}

// pinImages tags the current images for this run; unpinImages drops the tags.
func pinImages(pool *dockertest.Pool) error {
	for _, impl := range []Impl{Zkgo, Java3413, Java380, Java393} {
		name := impl.baseImage()
		repo, tag, _ := strings.Cut(name, ":")
		pin := runTag(tag, os.Getpid())
		if err := pool.Client.TagImage(name, dc.TagImageOptions{Repo: repo, Tag: pin, Force: true}); err != nil {
			return fmt.Errorf("tagging %s: %w", name, err)
		}
		pinned[name] = repo + ":" + pin
	}
	return nil
}

func unpinImages(pool *dockertest.Pool) {
	for _, p := range pinned {
		pool.Client.RemoveImageExtended(p, dc.RemoveImageOptions{})
	}
}

// IsJava reports whether the node is Apache ZooKeeper.
func (i Impl) IsJava() bool { return strings.HasPrefix(string(i), "java-") }

func zkgoImage() string {
	if v := os.Getenv("ZKGO_IMAGE"); v != "" {
		return v
	}
	return "zkgo:local"
}

// Spec describes one node of an ensemble.
type Spec struct {
	ID       int
	Impl     Impl
	Observer bool
}

// Timing of the ensembles: short ticks so that faults take effect (and heal) in a few seconds.
const (
	tickMs    = 500
	initLimit = 20 // ticks: 10 s for a follower to sync (JVM start-up on a loaded machine)
	syncLimit = 4  // ticks: a silent leader or follower is dropped after 2 s
	snapCount = 2000
)

// Cluster is an ensemble of containers on a private network. Peers talk over an internal
// network ("peers": static addresses, nothing else reachable) that partitions disconnect
// nodes from; clients reach each node's port 2181 through 127.0.0.1:<HostPort>, published
// over a second network ("clients", inter-container traffic disabled) that faults never
// touch, so a client can stay connected to a node that is cut off from its peers.
type Cluster struct {
	t       testing.TB
	pool    *dockertest.Pool
	name    string // run name: prefix of containers and networks
	dir     string // host folder: n<id>/conf, n<id>/data, logs
	subnet  string // "172.30.N" (/24)
	alone   bool   // standalone servers: no server lines
	env     bool   // configured from ZOO_* variables: no zoo.cfg or myid mounted
	peers   *dockertest.Network
	clients *dockertest.Network

	mu    sync.Mutex
	nodes []*Node // by index; IDs from Spec

	onFatal func(msg string) // sees the message of Fatalf before the test stops
}

// Node is one member of a Cluster.
type Node struct {
	ID       int
	Impl     Impl
	Observer bool
	IP       string // on the peers network
	HostPort int    // client port on 127.0.0.1
	ConfDir  string
	DataDir  string

	container string // container id
	name      string
	cut       bool // disconnected from the peers network
	paused    bool
	down      bool // killed or stopped, not restarted
	replaced  int  // containers this node has had before the current one
}

// Addr is the node's client address on 127.0.0.1.
func (n *Node) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.HostPort)) }

func (n *Node) String() string {
	r := "participant"
	if n.Observer {
		r = "observer"
	}
	return fmt.Sprintf("node %d (%s %s)", n.ID, n.Impl, r)
}

var (
	poolOnce sync.Once
	poolErr  error
	thePool  *dockertest.Pool
)

func dockerPool() (*dockertest.Pool, error) {
	poolOnce.Do(func() {
		thePool, poolErr = dockertest.NewPool("")
		if poolErr == nil {
			poolErr = thePool.Client.Ping()
		}
		if poolErr == nil {
			thePool.MaxWait = 2 * time.Minute
		}
	})
	return thePool, poolErr
}

// StartCluster creates the networks, writes each node's zoo.cfg and myid, starts every node
// and waits until the ensemble serves (one leader, everyone else following).
func StartCluster(t testing.TB, specs []Spec) *Cluster {
	t.Helper()
	return startClusterWith(t, specs, clusterOpts{})
}

// StartStandalones starts one standalone server per spec (no server lines), on the same
// networks.
func StartStandalones(t testing.TB, specs []Spec) *Cluster {
	t.Helper()
	return startClusterWith(t, specs, clusterOpts{standalone: true})
}

// StartEnvCluster is StartCluster with every node configured through ZOO_* environment
// variables instead of a mounted zoo.cfg and myid.
func StartEnvCluster(t testing.TB, specs []Spec) *Cluster {
	t.Helper()
	return startClusterWith(t, specs, clusterOpts{env: true})
}

// clusterOpts are the ways a Cluster can be set up.
type clusterOpts struct {
	standalone bool             // no server lines
	env        bool             // configured from ZOO_* variables
	onFatal    func(msg string) // sees the message of Fatalf before the test stops
}

// startClusterHook is StartCluster with a hook that sees fatal messages.
func startClusterHook(t testing.TB, specs []Spec, onFatal func(string)) *Cluster {
	t.Helper()
	return startClusterWith(t, specs, clusterOpts{onFatal: onFatal})
}

func startClusterWith(t testing.TB, specs []Spec, o clusterOpts) *Cluster {
	t.Helper()
	c := newCluster(t, specs, o)
	var wg sync.WaitGroup
	errs := make([]error, len(c.nodes))
	for i, n := range c.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.create(n)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.Fatalf("starting containers: %v", err)
	}
	if err := c.WaitHealthy(90 * time.Second); err != nil {
		c.Fatalf("ensemble did not form: %v", err)
	}
	return c
}

// NewCluster prepares networks and folders; nodes are not started.
func NewCluster(t testing.TB, specs []Spec) *Cluster {
	t.Helper()
	return newCluster(t, specs, clusterOpts{})
}

func newCluster(t testing.TB, specs []Spec, o clusterOpts) *Cluster {
	t.Helper()
	pool, err := dockerPool()
	if err != nil {
		t.Fatalf("docker: %v", err)
	}
	c := &Cluster{
		t:       t,
		pool:    pool,
		name:    fmt.Sprintf("zkgo-it-%d-%s", os.Getpid(), randSuffix()),
		dir:     t.TempDir(),
		alone:   o.standalone,
		env:     o.env,
		onFatal: o.onFatal,
	}
	t.Cleanup(c.Close)
	if err := c.createNetworks(); err != nil {
		t.Fatalf("networks: %v", err)
	}
	for _, s := range specs {
		port, err := freePort()
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		n := &Node{
			ID:       s.ID,
			Impl:     s.Impl,
			Observer: s.Observer,
			IP:       fmt.Sprintf("%s.%d", c.subnet, 10+s.ID),
			HostPort: port,
			ConfDir:  filepath.Join(c.dir, fmt.Sprintf("n%d", s.ID), "conf"),
			DataDir:  filepath.Join(c.dir, fmt.Sprintf("n%d", s.ID), "data"),
			name:     fmt.Sprintf("%s-n%d", c.name, s.ID),
		}
		c.nodes = append(c.nodes, n)
	}
	for _, n := range c.nodes {
		if err := c.writeConfig(n); err != nil {
			t.Fatalf("config of %s: %v", n, err)
		}
	}
	return c
}

func randSuffix() string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 6)
	for i := range b {
		b[i] = letters[rand.Intn(len(letters))]
	}
	return string(b)
}

// freePort returns a port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// createNetworks makes the internal peers network on a free 172.30.N.0/24 and the clients
// network (inter-container communication off).
func (c *Cluster) createNetworks() error {
	labels := map[string]string{"zkgo.interop": c.name, "zkgo.interop.pid": strconv.Itoa(os.Getpid())}
	var lastErr error
	for attempt := 0; attempt < 40; attempt++ {
		c.subnet = fmt.Sprintf("172.30.%d", rand.Intn(250)+1)
		n, err := c.pool.Client.CreateNetwork(dc.CreateNetworkOptions{
			Name:     c.name + "-peers",
			Driver:   "bridge",
			Internal: true,
			Labels:   labels,
			IPAM:     &dc.IPAMOptions{Config: []dc.IPAMConfig{{Subnet: c.subnet + ".0/24"}}},
		})
		if err != nil {
			lastErr = err
			if strings.Contains(err.Error(), "overlap") {
				continue
			}
			return err
		}
		c.peers = &dockertest.Network{Network: n}
		break
	}
	if c.peers == nil {
		return fmt.Errorf("no free 172.30.N.0/24 subnet: %v", lastErr)
	}
	n, err := c.pool.Client.CreateNetwork(dc.CreateNetworkOptions{
		Name:    c.name + "-clients",
		Driver:  "bridge",
		Labels:  labels,
		Options: map[string]any{"com.docker.network.bridge.enable_icc": "false"},
	})
	if err != nil {
		return err
	}
	c.clients = &dockertest.Network{Network: n}
	return nil
}

// ServerLines are the server.N lines every node's zoo.cfg carries.
func (c *Cluster) ServerLines() []string {
	var out []string
	for _, n := range c.nodes {
		l := fmt.Sprintf("server.%d=%s:2888:3888", n.ID, n.IP)
		if n.Observer {
			l += ":observer"
		}
		out = append(out, l)
	}
	return out
}

// writeConfig writes n's conf/zoo.cfg and data/myid (mounted at /conf and /data); with
// env, only the (empty) folders.
func (c *Cluster) writeConfig(n *Node) error {
	if err := os.MkdirAll(n.ConfDir, 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(n.DataDir, 0o755); err != nil {
		return err
	}
	if c.env {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "tickTime=%d\ninitLimit=%d\nsyncLimit=%d\n", tickMs, initLimit, syncLimit)
	b.WriteString("dataDir=/data\nclientPort=2181\n")
	b.WriteString("4lw.commands.whitelist=*\nadmin.enableServer=false\n")
	fmt.Fprintf(&b, "snapCount=%d\n", snapCount)
	b.WriteString("maxClientCnxns=0\n")
	if n.Observer {
		b.WriteString("peerType=observer\n")
	}
	if !c.alone {
		for _, l := range c.ServerLines() {
			b.WriteString(l + "\n")
		}
	}
	if err := os.WriteFile(filepath.Join(n.ConfDir, "zoo.cfg"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(n.DataDir, "myid"), []byte(fmt.Sprintf("%d\n", n.ID)), 0o644)
}

// zooEnv is n's configuration as the ZOO_* variables of the common ZooKeeper images: the
// same settings writeConfig puts in zoo.cfg.
func (c *Cluster) zooEnv(n *Node) []string {
	extra := fmt.Sprintf("snapCount=%d maxClientCnxns=0", snapCount)
	if n.Observer {
		extra += " peerType=observer"
	}
	env := []string{
		fmt.Sprintf("ZOO_MY_ID=%d", n.ID),
		fmt.Sprintf("ZOO_TICK_TIME=%d", tickMs),
		fmt.Sprintf("ZOO_INIT_LIMIT=%d", initLimit),
		fmt.Sprintf("ZOO_SYNC_LIMIT=%d", syncLimit),
		"ZOO_4LW_COMMANDS_WHITELIST=*",
		"ZOO_CFG_EXTRA=" + extra,
	}
	if !c.alone {
		env = append(env, "ZOO_SERVERS="+strings.Join(c.ServerLines(), " "))
	}
	return env
}

// create makes and starts n's container: attached to the peers network with its static
// address, then to the clients network, client port published on 127.0.0.1 only.
func (c *Cluster) create(n *Node) error {
	image := n.Impl.Image()
	if _, err := c.pool.Client.InspectImage(image); err != nil {
		return fmt.Errorf("%s: image %s is missing (docker/build.sh builds it): %v", n, image, err)
	}
	env := []string{}
	if n.Impl.IsJava() {
		// Java 3.9.3 refuses a dataDir with logs and no snapshot (ZOOKEEPER-3056); a dataDir
		// written by another implementation may look like that.
		env = append(env, "JVMFLAGS=-Dzookeeper.snapshot.trust.empty=true")
	}
	binds := []string{n.ConfDir + ":/conf:ro", n.DataDir + ":/data"}
	if c.env {
		binds = binds[1:]
		env = append(env, c.zooEnv(n)...)
	}
	ctr, err := c.pool.Client.CreateContainer(dc.CreateContainerOptions{
		Name: n.name,
		Config: &dc.Config{
			Image:        image,
			Hostname:     fmt.Sprintf("zk%d", n.ID),
			Env:          env,
			ExposedPorts: map[dc.Port]struct{}{"2181/tcp": {}},
			Labels:       map[string]string{"zkgo.interop": c.name, "zkgo.interop.pid": strconv.Itoa(os.Getpid())},
		},
		HostConfig: &dc.HostConfig{
			Binds:           binds,
			PortBindings:    map[dc.Port][]dc.PortBinding{"2181/tcp": {{HostIP: "127.0.0.1", HostPort: strconv.Itoa(n.HostPort)}}},
			PublishAllPorts: false,
			NetworkMode:     c.peers.Network.Name,
		},
		NetworkingConfig: &dc.NetworkingConfig{EndpointsConfig: map[string]*dc.EndpointConfig{
			c.peers.Network.Name: {IPAMConfig: &dc.EndpointIPAMConfig{IPv4Address: n.IP}},
		}},
	})
	if err != nil {
		return fmt.Errorf("%s: create: %w", n, err)
	}
	n.container = ctr.ID
	if err := c.pool.Client.ConnectNetwork(c.clients.Network.ID, dc.NetworkConnectionOptions{Container: ctr.ID}); err != nil {
		return fmt.Errorf("%s: connect to the clients network: %w", n, err)
	}
	if err := c.pool.Client.StartContainer(ctr.ID, nil); err != nil {
		return fmt.Errorf("%s: start: %w", n, err)
	}
	n.down, n.cut, n.paused = false, false, false
	return nil
}

// Nodes returns the nodes in spec order.
func (c *Cluster) Nodes() []*Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Node(nil), c.nodes...)
}

// Node returns the node with id.
func (c *Cluster) Node(id int) *Node {
	for _, n := range c.Nodes() {
		if n.ID == id {
			return n
		}
	}
	c.Fatalf("no node %d", id)
	return nil
}

// Addrs are the client addresses of every node.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, n := range c.Nodes() {
		out = append(out, n.Addr())
	}
	return out
}

// Fatalf fails the test after logging the tail of every node's log.
func (c *Cluster) Fatalf(format string, args ...any) {
	c.t.Helper()
	if c.onFatal != nil {
		c.onFatal(fmt.Sprintf(format, args...))
	}
	c.DumpLogs(40)
	c.t.Fatalf(format, args...)
}

// ---------------------------------------------------------------------------------------------
// Faults and repairs.

// Kill sends sig (KILL, TERM, STOP, CONT) to the node's PID 1 (the JVM or zkgo itself).
func (c *Cluster) Kill(n *Node, sig dc.Signal) error {
	err := c.pool.Client.KillContainer(dc.KillContainerOptions{ID: n.container, Signal: sig})
	if err == nil && (sig == dc.SIGKILL || sig == dc.SIGTERM) {
		n.down = true
		// Wait until the container has exited, so a restart starts afresh.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err = c.pool.Client.WaitContainerWithContext(n.container, ctx)
	}
	if err != nil {
		return fmt.Errorf("%s: kill -%d: %w", n, sig, err)
	}
	return nil
}

// Start starts a stopped node's container again (same data, same addresses).
func (c *Cluster) Start(n *Node) error {
	if err := c.pool.Client.StartContainer(n.container, nil); err != nil {
		return fmt.Errorf("%s: start: %w", n, err)
	}
	n.down = false
	return nil
}

// Pause freezes every process of the node (cgroup freezer: SIGSTOP without the signal).
func (c *Cluster) Pause(n *Node) error {
	if err := c.pool.Client.PauseContainer(n.container); err != nil {
		return fmt.Errorf("%s: pause: %w", n, err)
	}
	n.paused = true
	return nil
}

// Unpause thaws the node.
func (c *Cluster) Unpause(n *Node) error {
	if err := c.pool.Client.UnpauseContainer(n.container); err != nil {
		return fmt.Errorf("%s: unpause: %w", n, err)
	}
	n.paused = false
	return nil
}

// Cut disconnects the node from the peers network: it can reach no other node (its clients
// still reach it).
func (c *Cluster) Cut(n *Node) error {
	err := c.pool.Client.DisconnectNetwork(c.peers.Network.ID, dc.NetworkConnectionOptions{Container: n.container, Force: true})
	if err != nil {
		return fmt.Errorf("%s: disconnect: %w", n, err)
	}
	n.cut = true
	return nil
}

// Heal reconnects a cut node with its address.
func (c *Cluster) Heal(n *Node) error {
	err := c.pool.Client.ConnectNetwork(c.peers.Network.ID, dc.NetworkConnectionOptions{
		Container:      n.container,
		EndpointConfig: &dc.EndpointConfig{IPAMConfig: &dc.EndpointIPAMConfig{IPv4Address: n.IP}},
	})
	if err != nil {
		return fmt.Errorf("%s: reconnect: %w", n, err)
	}
	n.cut = false
	return nil
}

// Replace stops the node's container (SIGTERM, then SIGKILL after 10 s) and starts impl in
// a new container on the same conf and data folders, address and client port.
func (c *Cluster) Replace(n *Node, impl Impl) error {
	if err := c.pool.Client.StopContainer(n.container, 10); err != nil {
		var notRunning *dc.ContainerNotRunning
		if !errors.As(err, &notRunning) {
			return fmt.Errorf("%s: stop: %w", n, err)
		}
	}
	c.saveLog(n)
	if err := c.pool.Client.RemoveContainer(dc.RemoveContainerOptions{ID: n.container, Force: true}); err != nil {
		return fmt.Errorf("%s: remove: %w", n, err)
	}
	n.replaced++
	n.Impl = impl
	n.name = fmt.Sprintf("%s-n%d-%d", c.name, n.ID, n.replaced)
	return c.create(n)
}

// Running reports whether the node's container runs, and its exit code when not.
func (c *Cluster) Running(n *Node) (bool, int, error) {
	ctr, err := c.pool.Client.InspectContainer(n.container)
	if err != nil {
		return false, 0, err
	}
	return ctr.State.Running, ctr.State.ExitCode, nil
}

// ---------------------------------------------------------------------------------------------
// Probes.

// Srvr sends srvr (exactly 4 bytes, fresh connection, deadline) to the node's client port and
// returns the reply's fields ("Mode", "Zxid", ...).
func Srvr(addr string, timeout time.Duration) (map[string]string, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte("srvr")); err != nil {
		return nil, err
	}
	out := map[string]string{}
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ": "); ok {
			out[k] = v
		}
	}
	if len(out) == 0 {
		if err := sc.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("srvr: empty reply")
	}
	return out, nil
}

// Mode is the node's srvr Mode line ("leader", "follower", "observer", "standalone"), or
// an error when it does not serve.
func (c *Cluster) Mode(n *Node) (string, error) {
	r, err := Srvr(n.Addr(), 2*time.Second)
	if err != nil {
		return "", err
	}
	m, ok := r["Mode"]
	if !ok {
		return "", fmt.Errorf("srvr reply without a Mode line")
	}
	return m, nil
}

// Leader is the node that says it leads, or nil.
func (c *Cluster) Leader() *Node {
	for _, n := range c.Nodes() {
		if n.down || n.paused {
			continue
		}
		if m, err := c.Mode(n); err == nil && m == "leader" {
			return n
		}
	}
	return nil
}

// Followers are the nodes that say they follow (participants, not observers).
func (c *Cluster) Followers() []*Node {
	var out []*Node
	for _, n := range c.Nodes() {
		if n.down || n.paused || n.Observer {
			continue
		}
		if m, err := c.Mode(n); err == nil && m == "follower" {
			out = append(out, n)
		}
	}
	return out
}

// Health describes the ensemble as srvr sees it: one line per node.
func (c *Cluster) Health() (ok bool, desc string) {
	leaders := 0
	ok = true
	var b strings.Builder
	for _, n := range c.Nodes() {
		m, err := c.Mode(n)
		switch {
		case err != nil:
			ok = false
			fmt.Fprintf(&b, " n%d:%v", n.ID, shortErr(err))
		case m == "leader":
			leaders++
			fmt.Fprintf(&b, " n%d:leader", n.ID)
		case c.alone && m == "standalone":
			leaders++ // each is its own leader
			fmt.Fprintf(&b, " n%d:standalone", n.ID)
		case m == "follower" && !n.Observer, m == "observer" && n.Observer:
			fmt.Fprintf(&b, " n%d:%s", n.ID, m)
		default:
			ok = false
			fmt.Fprintf(&b, " n%d:%s(unexpected)", n.ID, m)
		}
	}
	if (!c.alone && leaders != 1) || (c.alone && leaders != len(c.Nodes())) {
		ok = false
	}
	return ok, fmt.Sprintf("%d leader(s):%s", leaders, b.String())
}

func shortErr(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "connection refused"):
		return "refused"
	case strings.Contains(s, "connection reset"):
		return "reset"
	case strings.Contains(s, "timeout"):
		return "timeout"
	case strings.Contains(s, "EOF"), strings.Contains(s, "empty reply"):
		return "closed"
	}
	return s
}

// WaitHealthy waits until every node serves in quorum mode with exactly one leader. A
// container that exited is reported at once with its log tail.
func (c *Cluster) WaitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var desc string
	for {
		var ok bool
		ok, desc = c.Health()
		if ok {
			return nil
		}
		for _, n := range c.Nodes() {
			if n.down {
				continue
			}
			if running, code, err := c.Running(n); err == nil && !running {
				return fmt.Errorf("%s exited (code %d): %s\n%s", n, code, desc, c.LogTail(n, 15))
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not healthy after %v: %s", timeout, desc)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------------------------
// Logs and clean-up.

// LogTail returns the last lines of the node's container log (stdout and stderr).
func (c *Cluster) LogTail(n *Node, lines int) string {
	var buf bytes.Buffer
	err := c.pool.Client.Logs(dc.LogsOptions{
		Container: n.container, OutputStream: &buf, ErrorStream: &buf,
		Stdout: true, Stderr: true, Tail: strconv.Itoa(lines),
	})
	if err != nil {
		return fmt.Sprintf("(logs of %s: %v)", n, err)
	}
	return buf.String()
}

// saveLog appends the container's full log to <dir>/logs/n<id>.log.
func (c *Cluster) saveLog(n *Node) {
	if n.container == "" {
		return
	}
	dir := filepath.Join(c.dir, "logs")
	os.MkdirAll(dir, 0o755)
	f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("n%d.log", n.ID)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "===== %s container %s (%s)\n", n, n.name, n.container[:12])
	c.pool.Client.Logs(dc.LogsOptions{Container: n.container, OutputStream: f, ErrorStream: f, Stdout: true, Stderr: true})
}

// DumpLogs logs the tail of every node's log to the test log.
func (c *Cluster) DumpLogs(lines int) {
	for _, n := range c.Nodes() {
		if n.container != "" {
			c.t.Logf("----- %s, last %d log lines:\n%s", n, lines, c.LogTail(n, lines))
		}
	}
}

// KeepArtifacts copies the node logs (and the conf and data folders) to dst.
func (c *Cluster) KeepArtifacts(dst string) {
	os.MkdirAll(dst, 0o755)
	for _, n := range c.Nodes() {
		c.saveLog(n)
	}
	exec.Command("cp", "-a", c.dir+"/.", dst).Run()
}

// Close removes the containers and networks (also after a failure).
func (c *Cluster) Close() {
	for _, n := range c.nodes {
		if n.container == "" {
			continue
		}
		if n.paused {
			c.pool.Client.UnpauseContainer(n.container)
		}
		c.pool.Client.RemoveContainer(dc.RemoveContainerOptions{ID: n.container, Force: true, RemoveVolumes: true})
	}
	for _, nw := range []*dockertest.Network{c.peers, c.clients} {
		if nw != nil {
			c.pool.Client.RemoveNetwork(nw.Network.ID)
		}
	}
	// The containers wrote the data folders as root; the test runs as the same user here, so
	// t.TempDir's clean-up removes them.
}

// removeStale removes containers and networks of earlier test processes that are gone
// (a crashed or killed test run); those of live processes (a concurrent run) stay.
func removeStale(pool *dockertest.Pool) {
	alive := func(labels map[string]string) bool {
		pid, err := strconv.Atoi(labels["zkgo.interop.pid"])
		if err != nil {
			return true
		}
		if pid == os.Getpid() {
			return true
		}
		return syscallAlive(pid)
	}
	ctrs, err := pool.Client.ListContainers(dc.ListContainersOptions{All: true, Filters: map[string][]string{"label": {"zkgo.interop"}}})
	if err == nil {
		for _, ctr := range ctrs {
			if !alive(ctr.Labels) {
				pool.Client.RemoveContainer(dc.RemoveContainerOptions{ID: ctr.ID, Force: true, RemoveVolumes: true})
			}
		}
	}
	imgs, err := pool.Client.ListImages(dc.ListImagesOptions{})
	if err == nil {
		for _, img := range imgs {
			for _, tag := range img.RepoTags {
				_, t, _ := strings.Cut(tag, ":")
				if pid, ok := runTagPid(t); ok && pid != os.Getpid() && !syscallAlive(pid) {
					pool.Client.RemoveImageExtended(tag, dc.RemoveImageOptions{})
				}
			}
		}
	}
	nets, err := pool.Client.FilteredListNetworks(dc.NetworkFilterOpts{"label": {"zkgo.interop": true}})
	if err == nil {
		for _, nw := range nets {
			if !alive(nw.Labels) {
				pool.Client.RemoveNetwork(nw.ID)
			}
		}
	}
}
