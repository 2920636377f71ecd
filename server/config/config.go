// Package config reads zoo.cfg the way ZooKeeper does: Java properties syntax, the keys a
// server honours, and every other key kept as a "zookeeper."-prefixed system property (as
// QuorumPeerConfig does), so `extendedTypesEnabled=true` in zoo.cfg turns on TTL nodes.
// Bad values are refused with an error naming the key; unknown keys are reported so the
// caller can log them.
package config

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Server is one server.N line.
type Server struct {
	ID            int64
	Host          string
	QuorumPort    int
	ElectionPort  int
	Observer      bool
	ClientHost    string
	ClientPort    int
	HasClientAddr bool
}

// Config is a parsed zoo.cfg.
type Config struct {
	Path              string
	TickTime          time.Duration
	InitLimit         int
	SyncLimit         int
	DataDir           string
	DataLogDir        string
	ClientPort        int
	ClientPortAddress string
	MaxClientCnxns    int
	MinSessionTimeout time.Duration
	MaxSessionTimeout time.Duration
	FourLetterWords   map[string]bool // whitelist; "*" expands to all
	AdminEnabled      bool
	AdminPort         int
	AdminAddress      string
	MetricsProvider   string
	MetricsPort       int
	MetricsHost       string
	AutopurgeRetain   int
	AutopurgeInterval int // hours
	PreAllocSizeKB    int64
	SnapCount         int
	ForceSync         bool
	Servers           []Server
	PeerType          string
	StandaloneEnabled bool
	// ReconfigEnabled is reconfigEnabled (dynamic reconfiguration, default false).
	ReconfigEnabled bool
	// DynamicConfigFile is dynamicConfigFile: the server lines live there, and ConfigVersion
	// comes from its name's hex suffix (zoo.cfg.dynamic.100000000).
	DynamicConfigFile string
	// ConfigVersion is the version of the configuration read (0 for static server lines).
	ConfigVersion int64
	// Props holds the ZooKeeper system properties set from zoo.cfg's other keys
	// ("zookeeper."+key) and from the environment (e.g. JVM -D flags).
	Props map[string]string
	// Unknown lists keys zkgo does not act on (logged at start).
	Unknown []string
	// Order keeps the keys in file order (for start-up logging).
	Order []string
	// Text is the zoo.cfg text as read (the AdminServer's initial_configuration).
	Text string
}

// Defaults returns the configuration ZooKeeper uses when a key is absent.
func Defaults() *Config {
	return &Config{
		TickTime:          3000 * time.Millisecond,
		MaxClientCnxns:    60,
		FourLetterWords:   map[string]bool{"srvr": true},
		AdminEnabled:      true,
		AdminPort:         8080,
		AdminAddress:      "0.0.0.0",
		MetricsPort:       7000,
		MetricsHost:       "0.0.0.0",
		AutopurgeRetain:   3,
		PreAllocSizeKB:    65536,
		SnapCount:         100000,
		ForceSync:         true,
		PeerType:          "participant",
		StandaloneEnabled: true,
		Props:             map[string]string{},
	}
}

// Load reads and parses a zoo.cfg file.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

// AllFourLetterWords is the full set ("*" in the whitelist).
var AllFourLetterWords = []string{"conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srst", "srvr", "stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash"}

// Parse reads zoo.cfg text.
func Parse(r io.Reader) (*Config, error) {
	c := Defaults()
	var minTO, maxTO int64 = -1, -1
	sc := bufio.NewScanner(r)
	line := 0
	var raw strings.Builder
	for sc.Scan() {
		line++
		raw.WriteString(sc.Text())
		raw.WriteByte('\n')
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' || text[0] == '!' {
			continue
		}
		key, val := splitProp(text)
		c.Order = append(c.Order, key)
		bad := func(why string) error {
			return fmt.Errorf("config: line %d: %s=%q: %s", line, key, val, why)
		}
		num := func() (int64, error) {
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return 0, bad("not a number")
			}
			return n, nil
		}
		var err error
		var n int64
		switch {
		case key == "tickTime":
			if n, err = num(); err == nil && n <= 0 {
				err = bad("must be positive")
			}
			c.TickTime = time.Duration(n) * time.Millisecond
		case key == "initLimit":
			n, err = num()
			c.InitLimit = int(n)
		case key == "syncLimit":
			n, err = num()
			c.SyncLimit = int(n)
		case key == "dataDir":
			c.DataDir = val
		case key == "dataLogDir":
			c.DataLogDir = val
		case key == "clientPort":
			if n, err = num(); err == nil && (n < 0 || n > 65535) {
				err = bad("not a port")
			}
			c.ClientPort = int(n)
		case key == "clientPortAddress":
			c.ClientPortAddress = val
		case key == "maxClientCnxns":
			if n, err = num(); err == nil && n < 0 {
				err = bad("must not be negative")
			}
			c.MaxClientCnxns = int(n)
		case key == "minSessionTimeout":
			minTO, err = num()
		case key == "maxSessionTimeout":
			maxTO, err = num()
		case key == "4lw.commands.whitelist":
			c.FourLetterWords = map[string]bool{}
			for _, w := range strings.Split(val, ",") {
				w = strings.TrimSpace(w)
				if w == "*" {
					for _, a := range AllFourLetterWords {
						c.FourLetterWords[a] = true
					}
				} else if w != "" {
					c.FourLetterWords[w] = true
				}
			}
		case key == "admin.enableServer":
			c.AdminEnabled, err = parseBool(val, bad)
		case key == "admin.serverPort":
			n, err = num()
			c.AdminPort = int(n)
		case key == "admin.serverAddress":
			c.AdminAddress = val
		case key == "metricsProvider.className":
			c.MetricsProvider = val
		case key == "metricsProvider.httpPort":
			n, err = num()
			c.MetricsPort = int(n)
		case key == "metricsProvider.httpHost":
			c.MetricsHost = val
		case key == "autopurge.snapRetainCount":
			n, err = num()
			c.AutopurgeRetain = int(n)
			if c.AutopurgeRetain < 3 {
				c.AutopurgeRetain = 3
			}
		case key == "autopurge.purgeInterval":
			n, err = num()
			c.AutopurgeInterval = int(n)
		case key == "preAllocSize":
			c.PreAllocSizeKB, err = num()
		case key == "snapCount":
			n, err = num()
			c.SnapCount = int(n)
		case key == "forceSync":
			c.ForceSync = !strings.EqualFold(val, "no")
		case key == "peerType":
			if val != "observer" && val != "participant" {
				err = bad("must be observer or participant")
			}
			c.PeerType = val
		case key == "standaloneEnabled":
			c.StandaloneEnabled, err = parseBool(val, bad)
		case key == "reconfigEnabled":
			c.ReconfigEnabled, err = parseBool(val, bad)
		case key == "dynamicConfigFile":
			c.DynamicConfigFile = val
		case strings.HasPrefix(key, "server."):
			var s Server
			s, err = parseServer(key, val)
			c.Servers = append(c.Servers, s)
		case key == "electionAlg" || key == "quorumListenOnAllIPs" || key == "electionPortBindRetry" ||
			key == "secureClientPort" ||
			key == "localSessionsEnabled" || key == "localSessionsUpgradingEnabled" || key == "syncEnabled" ||
			key == "clientPortListenBacklog" || strings.HasPrefix(key, "group.") || strings.HasPrefix(key, "weight."):
			c.Unknown = append(c.Unknown, key)
			c.Props[key] = val
		default:
			// ZooKeeper turns any other key into the system property zookeeper.<key>.
			if strings.HasPrefix(key, "zookeeper.") {
				c.Props[key] = val
			} else {
				c.Props["zookeeper."+key] = val
			}
			if !knownProp(key) {
				c.Unknown = append(c.Unknown, key)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c.Text = raw.String()
	if c.DataDir == "" {
		return nil, fmt.Errorf("config: dataDir is not set")
	}
	if c.DataLogDir == "" {
		c.DataLogDir = c.DataDir
	}
	if c.DynamicConfigFile != "" {
		if err := c.loadDynamic(); err != nil {
			return nil, err
		}
	}
	if c.ClientPort == 0 && len(c.Servers) == 0 {
		return nil, fmt.Errorf("config: clientPort is not set")
	}
	c.MinSessionTimeout = 2 * c.TickTime
	c.MaxSessionTimeout = 20 * c.TickTime
	if minTO > 0 {
		c.MinSessionTimeout = time.Duration(minTO) * time.Millisecond
	}
	if maxTO > 0 {
		c.MaxSessionTimeout = time.Duration(maxTO) * time.Millisecond
	}
	if c.MinSessionTimeout > c.MaxSessionTimeout {
		return nil, fmt.Errorf("config: minSessionTimeout %d must not be larger than maxSessionTimeout %d", c.MinSessionTimeout.Milliseconds(), c.MaxSessionTimeout.Milliseconds())
	}
	sort.Slice(c.Servers, func(i, j int) bool { return c.Servers[i].ID < c.Servers[j].ID })
	return c, nil
}

// knownProp lists system-property keys zkgo honours.
func knownProp(key string) bool {
	switch strings.TrimPrefix(key, "zookeeper.") {
	case "extendedTypesEnabled", "emulate353TTLNodes", "skipACL", "DigestAuthenticationProvider.superDigest",
		"digest.enabled", "jute.maxbuffer", "maxbuffer", "snapshot.trust.empty", "container.checkIntervalMs",
		"znode.container.checkIntervalMs", "znode.container.maxPerMinute":
		return true
	}
	return key == "jute.maxbuffer"
}

// Prop returns a ZooKeeper system property (with or without the "zookeeper." prefix).
func (c *Config) Prop(name string) (string, bool) {
	if v, ok := c.Props[name]; ok {
		return v, true
	}
	v, ok := c.Props["zookeeper."+name]
	return v, ok
}

// BoolProp reads a boolean system property.
func (c *Config) BoolProp(name string) bool {
	v, _ := c.Prop(name)
	return strings.EqualFold(strings.TrimSpace(v), "true") || strings.EqualFold(strings.TrimSpace(v), "yes")
}

func parseBool(v string, bad func(string) error) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes":
		return true, nil
	case "false", "no":
		return false, nil
	}
	return false, bad("not a boolean")
}

// splitProp splits a Java properties line at the first '=', ':' or whitespace.
func splitProp(line string) (string, string) {
	i := strings.IndexAny(line, "=: \t")
	if i < 0 {
		return line, ""
	}
	key := line[:i]
	rest := strings.TrimLeft(line[i:], " \t")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = rest[1:]
	}
	return key, strings.TrimSpace(rest)
}

// parseServer reads server.N=host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort].
func parseServer(key, val string) (Server, error) {
	var s Server
	id, err := strconv.ParseInt(strings.TrimPrefix(key, "server."), 10, 64)
	if err != nil || id < 0 {
		return s, fmt.Errorf("config: %s: bad server id", key)
	}
	s.ID = id
	addr, client, hasClient := strings.Cut(val, ";")
	parts := strings.Split(addr, ":")
	if len(parts) < 3 || len(parts) > 4 {
		return s, fmt.Errorf("config: %s=%q: want host:quorumPort:electionPort[:role]", key, val)
	}
	s.Host = parts[0]
	if s.QuorumPort, err = strconv.Atoi(parts[1]); err != nil {
		return s, fmt.Errorf("config: %s: bad quorum port %q", key, parts[1])
	}
	if s.ElectionPort, err = strconv.Atoi(parts[2]); err != nil {
		return s, fmt.Errorf("config: %s: bad election port %q", key, parts[2])
	}
	if len(parts) == 4 {
		switch parts[3] {
		case "observer":
			s.Observer = true
		case "participant":
		default:
			return s, fmt.Errorf("config: %s: unknown role %q", key, parts[3])
		}
	}
	if hasClient {
		s.HasClientAddr = true
		h, p, ok := strings.Cut(client, ":")
		if !ok {
			h, p = "0.0.0.0", client
		}
		s.ClientHost = h
		if s.ClientPort, err = strconv.Atoi(strings.TrimSpace(p)); err != nil {
			return s, fmt.Errorf("config: %s: bad client port %q", key, p)
		}
	}
	return s, nil
}

// ReadMyID reads <dataDir>/myid.
func ReadMyID(dataDir string) (int64, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "myid"))
	if err != nil {
		return 0, fmt.Errorf("config: %w", err)
	}
	line := strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	id, err := strconv.ParseInt(line, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("config: %s: %q is not a server id", filepath.Join(dataDir, "myid"), line)
	}
	return id, nil
}
