package config

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Verifier is an ensemble configuration as Java's QuorumMaj holds it: the members (voters and
// observers) and the config version (the zxid of the reconfig that made it, or 0 for a static
// config; a leader stamps its first NEWLEADER zxid on a version-0 config).
type Verifier struct {
	// Servers in the iteration order of QuorumMaj's HashMap<Long, QuorumServer>, which is
	// the order of its text.
	Servers []Server
	Version int64
}

// NewVerifier returns a verifier of these members as QuorumMaj(Properties) builds it (a
// HashMap of default capacity filled in id order): by id for ids below 16.
func NewVerifier(servers []Server, version int64) *Verifier {
	ss := slices.Clone(servers)
	slices.SortFunc(ss, func(a, b Server) int { return cmp.Compare(a.ID, b.ID) })
	m := NewJavaMap(0)
	for _, s := range ss {
		m.Put(s)
	}
	return &Verifier{Servers: m.Servers(), Version: version}
}

// JavaMap is a java.util.HashMap<Long, QuorumServer> reduced to its iteration order: buckets
// of hash & (capacity-1) (a small Long's hash is itself), entries of a bucket in insertion
// order, doubled at more than 3/4 full. Java builds config member maps this way, and prints
// them in that order.
type JavaMap struct {
	buckets [][]Server
	size    int
}

// NewJavaMap returns an empty map sized as new HashMap<>(m) for a source of n entries (JDK 17:
// the next power of two of n/0.75+1), or of default capacity 16 for n == 0.
func NewJavaMap(n int) *JavaMap {
	c := 16
	if n > 0 {
		t := int(float32(n)/0.75 + 1)
		for c = 1; c < t; c *= 2 {
		}
	}
	return &JavaMap{buckets: make([][]Server, c)}
}

func javaHash(id int64) int {
	h := int32(id ^ int64(uint64(id)>>32))
	return int(h ^ int32(uint32(h)>>16))
}

func (m *JavaMap) index(id int64) int { return javaHash(id) & (len(m.buckets) - 1) }

// Put adds s, or replaces the entry with its id in place.
func (m *JavaMap) Put(s Server) {
	b := m.buckets[m.index(s.ID)]
	for i := range b {
		if b[i].ID == s.ID {
			b[i] = s
			return
		}
	}
	m.buckets[m.index(s.ID)] = append(b, s)
	m.size++
	if m.size > len(m.buckets)*3/4 {
		old := m.Servers()
		m.buckets = make([][]Server, 2*len(m.buckets))
		for _, o := range old {
			m.buckets[m.index(o.ID)] = append(m.buckets[m.index(o.ID)], o)
		}
	}
}

// Remove deletes id.
func (m *JavaMap) Remove(id int64) {
	i := m.index(id)
	for j, s := range m.buckets[i] {
		if s.ID == id {
			m.buckets[i] = slices.Delete(m.buckets[i], j, j+1)
			m.size--
			return
		}
	}
}

// Servers lists the entries in iteration order.
func (m *JavaMap) Servers() []Server {
	var out []Server
	for _, b := range m.buckets {
		out = append(out, b...)
	}
	return out
}

// Member returns the member with this id.
func (v *Verifier) Member(id int64) (Server, bool) {
	for _, s := range v.Servers {
		if s.ID == id {
			return s, true
		}
	}
	return Server{}, false
}

// IsVoter reports whether id is a participant.
func (v *Verifier) IsVoter(id int64) bool {
	s, ok := v.Member(id)
	return ok && !s.Observer
}

// Voters lists the participants' ids.
func (v *Verifier) Voters() []int64 {
	var ids []int64
	for _, s := range v.Servers {
		if !s.Observer {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// HasQuorum reports whether more than half of the voters are in set (QuorumMaj.containsQuorum).
func (v *Verifier) HasQuorum(set map[int64]bool) bool {
	n, c := 0, 0
	for _, s := range v.Servers {
		if !s.Observer {
			n++
			if set[s.ID] {
				c++
			}
		}
	}
	return c > n/2
}

// Equal reports whether both have the same members (versions aside), as QuorumMaj.equals.
func (v *Verifier) Equal(o *Verifier) bool {
	if o == nil || len(v.Servers) != len(o.Servers) {
		return false
	}
	for _, s := range v.Servers {
		if t, ok := o.Member(s.ID); !ok || t != s {
			return false
		}
	}
	return true
}

// ServerText is QuorumServer.toString: "host:quorumPort:electionPort:participant|observer",
// then ";clientHost:clientPort" when the server line gave a client address.
func ServerText(s Server) string {
	b := fmt.Sprintf("%s:%d:%d", bracket(s.Host), s.QuorumPort, s.ElectionPort)
	if s.Observer {
		b += ":observer"
	} else {
		b += ":participant"
	}
	if s.HasClientAddr {
		b += fmt.Sprintf(";%s:%d", bracket(s.ClientHost), s.ClientPort)
	}
	return b
}

// Text is QuorumMaj.toString: one "server.N=..." line per member by id, then
// "version=<hex>" with no newline (the data of /zookeeper/config).
func (v *Verifier) Text() string {
	var b strings.Builder
	for _, s := range v.Servers {
		fmt.Fprintf(&b, "server.%d=%s\n", s.ID, ServerText(s))
	}
	fmt.Fprintf(&b, "version=%x", v.Version)
	return b.String()
}

// DynamicText is what Java writes into a zoo.cfg.dynamic.<version> file
// (QuorumPeerConfig.writeDynamicConfig without the version): the "server.N=..." lines sorted
// as strings, joined by newlines.
func (v *Verifier) DynamicText() string {
	lines := make([]string, len(v.Servers))
	for i, s := range v.Servers {
		lines[i] = fmt.Sprintf("server.%d=%s", s.ID, ServerText(s))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func bracket(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

// ParseVerifier reads a QuorumMaj text as Java does (configFromString, parseDynamicConfig):
// server.N lines and an optional "version=<hex>" line in Java properties syntax, members in
// QuorumMaj(Properties) order. Any other key is refused; a repeated server id keeps the last
// line, as Properties does.
func ParseVerifier(text string) (*Verifier, error) {
	v, err := ParseVerifierAsWritten(text)
	if err != nil {
		return nil, err
	}
	return NewVerifier(v.Servers, v.Version), nil
}

// ParseVerifierAsWritten is ParseVerifier keeping the members in the order of the text (the
// leader's own proposal: its config object is the one the text was printed from).
func ParseVerifierAsWritten(text string) (*Verifier, error) {
	var ss []Server
	var version int64
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		key, val := splitProp(line)
		switch {
		case strings.HasPrefix(key, "server."):
			s, err := parseServer(key, val)
			if err != nil {
				return nil, err
			}
			if i := slices.IndexFunc(ss, func(o Server) bool { return o.ID == s.ID }); i >= 0 {
				ss[i] = s
			} else {
				ss = append(ss, s)
			}
		case key == "version":
			v, err := strconv.ParseUint(val, 16, 64)
			if err != nil {
				return nil, fmt.Errorf("config: version=%q is not a hex number", val)
			}
			version = int64(v)
		default:
			return nil, fmt.Errorf("config: unrecognised parameter %q", key)
		}
	}
	return &Verifier{Servers: ss, Version: version}, nil
}

// ParseServerSpec reads the value of a server.N line (for a reconfig's joining servers).
func ParseServerSpec(id int64, spec string) (Server, error) {
	return parseServer("server."+strconv.FormatInt(id, 10), spec)
}

// Verifier is the configuration zoo.cfg (and its dynamic file) describes.
func (c *Config) Verifier() *Verifier { return NewVerifier(c.Servers, c.ConfigVersion) }

// Quorum reports whether the config runs a quorum peer: more than one participant, or any
// server line with standaloneEnabled=false (QuorumPeerConfig.isDistributed).
func (c *Config) Quorum() bool {
	voters := 0
	for _, s := range c.Servers {
		if !s.Observer {
			voters++
		}
	}
	return voters > 1 || (!c.StandaloneEnabled && len(c.Servers) > 0)
}

// DynamicFileName is where Java writes the dynamic config of this version:
// "<zoo.cfg path>.dynamic.<hex version>".
func (c *Config) DynamicFileName(version int64) string {
	return fmt.Sprintf("%s.dynamic.%x", c.Path, version)
}

// Activate makes v the configuration and, with a zoo.cfg path, writes it as Java does when a
// config is activated with reconfigEnabled (QuorumPeer.setQuorumVerifier with writeToDisk):
// zoo.cfg.dynamic.<version> holds the server lines, and zoo.cfg is rewritten without its
// server, group, weight, peerType and dynamicConfigFile keys (and without clientPort and
// clientPortAddress when this server's line has a client address), ending with a
// dynamicConfigFile key naming the new file. The original zoo.cfg is kept as zoo.cfg.bak the
// first time (backupOldConfig).
func (c *Config) Activate(v *Verifier, myID int64) error {
	c.Servers = slices.Clone(v.Servers)
	c.ConfigVersion = v.Version
	if c.Path == "" {
		return nil
	}
	dyn, err := filepath.Abs(c.DynamicFileName(v.Version))
	if err != nil {
		return err
	}
	if err := writeAtomic(dyn, []byte(v.DynamicText())); err != nil {
		return err
	}
	old, err := os.ReadFile(c.Path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if c.DynamicConfigFile == "" {
		if _, err := os.Stat(c.Path + ".bak"); os.IsNotExist(err) {
			if err := writeAtomic(c.Path+".bak", old); err != nil {
				return err
			}
		}
	}
	self, _ := v.Member(myID)
	var b strings.Builder
	for _, line := range strings.Split(string(old), "\n") {
		text := strings.TrimSpace(line)
		if text == "" || text[0] == '#' || text[0] == '!' {
			continue
		}
		key, val := splitProp(text)
		if strings.HasPrefix(key, "server.") || strings.HasPrefix(key, "group") || strings.HasPrefix(key, "weight") ||
			strings.HasPrefix(key, "dynamicConfigFile") || strings.HasPrefix(key, "peerType") ||
			(self.HasClientAddr && strings.HasPrefix(key, "clientPort")) {
			continue
		}
		b.WriteString(key + "=" + val + "\n")
	}
	b.WriteString("dynamicConfigFile=" + dyn + "\n")
	c.DynamicConfigFile = dyn
	return writeAtomic(c.Path, []byte(b.String()))
}

func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// loadDynamic reads the dynamicConfigFile: server lines only (a version key is refused, as
// Java does), the version from the file name's last dot-separated part when it is hex.
func (c *Config) loadDynamic() error {
	b, err := os.ReadFile(c.DynamicConfigFile)
	if err != nil {
		return fmt.Errorf("config: dynamicConfigFile: %w", err)
	}
	v, err := ParseVerifier(string(b))
	if err != nil {
		return fmt.Errorf("config: %s: %w", c.DynamicConfigFile, err)
	}
	if strings.Contains(string(b), "version=") {
		return fmt.Errorf("config: %s: dynamic file shouldn't have version inside", c.DynamicConfigFile)
	}
	c.Servers = v.Servers
	if i := strings.LastIndexByte(c.DynamicConfigFile, '.'); i >= 0 {
		if ver, err := strconv.ParseUint(c.DynamicConfigFile[i+1:], 16, 64); err == nil {
			c.ConfigVersion = int64(ver)
		}
	}
	return nil
}
