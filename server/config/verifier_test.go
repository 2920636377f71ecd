package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func ids(ss []Server) string {
	var b []string
	for _, s := range ss {
		b = append(b, fmt.Sprint(s.ID))
	}
	return strings.Join(b, ",")
}

// TestJavaMapOrder checks member order against what Java 3.9.3 (JDK 17) printed: a map copied
// from 3 members (capacity 8) with server 9 added iterates 1,9,2,3; removing 1 and putting it
// back gives 9,1,2,3; a 17th-bucket collision and a resize keep Java's order.
func TestJavaMapOrder(t *testing.T) {
	m := NewJavaMap(3)
	for _, id := range []int64{1, 2, 3, 9} {
		m.Put(Server{ID: id})
	}
	if got := ids(m.Servers()); got != "1,9,2,3" {
		t.Fatalf("copy of 3 + 9: %s", got)
	}
	m.Remove(1)
	m.Put(Server{ID: 1})
	if got := ids(m.Servers()); got != "9,1,2,3" {
		t.Fatalf("remove and re-add 1: %s", got)
	}
	d := NewJavaMap(0) // capacity 16, resized to 32 at the 13th entry
	for _, id := range []int64{17, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11} {
		d.Put(Server{ID: id})
	}
	if got := ids(d.Servers()); got != "17,1,2,3,4,5,6,7,8,9,10,11" {
		t.Fatalf("default capacity: %s", got)
	}
	d.Put(Server{ID: 12})
	if got := ids(d.Servers()); got != "1,2,3,4,5,6,7,8,9,10,11,12,17" {
		t.Fatalf("after resize: %s", got)
	}
	if got := ids(NewVerifier([]Server{{ID: 3}, {ID: 1}, {ID: 2}}, 0).Servers); got != "1,2,3" {
		t.Fatalf("NewVerifier: %s", got)
	}
}

func TestVerifierText(t *testing.T) {
	v, err := ParseVerifier("server.2=127.0.0.1:2888:3888;2181\nserver.1=10.0.0.1:2888:3888:observer;127.0.0.1:2182\nversion=100000000")
	if err != nil {
		t.Fatal(err)
	}
	want := "server.1=10.0.0.1:2888:3888:observer;127.0.0.1:2182\nserver.2=127.0.0.1:2888:3888:participant;0.0.0.0:2181\nversion=100000000"
	if v.Text() != want || v.Version != 0x100000000 {
		t.Fatalf("text %q version %x", v.Text(), v.Version)
	}
	if !v.IsVoter(2) || v.IsVoter(1) || !v.HasQuorum(map[int64]bool{2: true}) || v.HasQuorum(map[int64]bool{1: true}) {
		t.Fatal("voters")
	}
	if _, err := ParseVerifier("server.1=127.0.0.1:1:2\nfoo=bar"); err == nil {
		t.Fatal("unknown key accepted")
	}
	if _, err := ParseVerifier("server.1=bad"); err == nil {
		t.Fatal("bad server accepted")
	}
}

// TestActivateWritesDynamicConfig: activating a config writes zoo.cfg.dynamic.<version> (server
// lines sorted as strings, no version), keeps zoo.cfg as zoo.cfg.bak, and rewrites zoo.cfg
// without server lines (and without clientPort* when this server's line has a client
// address) plus dynamicConfigFile; loading that zoo.cfg gives the same config back.
func TestActivateWritesDynamicConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "zoo.cfg")
	orig := "# comment\ntickTime=2000\ndataDir=" + dir + "\nclientPort=2181\nclientPortAddress=127.0.0.1\nreconfigEnabled=true\n" +
		"server.1=127.0.0.1:2888:3888;127.0.0.1:2181\nserver.2=127.0.0.1:2889:3889;127.0.0.1:2182\nserver.3=127.0.0.1:2890:3890;127.0.0.1:2183\n"
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !c.ReconfigEnabled || c.ConfigVersion != 0 || !c.Quorum() {
		t.Fatalf("parsed %+v", c)
	}
	m := NewJavaMap(3)
	for _, s := range c.Servers {
		m.Put(s)
	}
	m.Put(Server{ID: 10, Host: "127.0.0.1", QuorumPort: 2891, ElectionPort: 3891, HasClientAddr: true, ClientHost: "127.0.0.1", ClientPort: 2184})
	v := &Verifier{Servers: m.Servers(), Version: 0x100000005}
	if err := c.Activate(v, 1); err != nil {
		t.Fatal(err)
	}
	dyn, err := os.ReadFile(path + ".dynamic.100000005")
	if err != nil {
		t.Fatal(err)
	}
	// Sorted as strings: "server.10=" before "server.1=", as Java's Collections.sort.
	wantDyn := "server.10=127.0.0.1:2891:3891:participant;127.0.0.1:2184\nserver.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\n" +
		"server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182\nserver.3=127.0.0.1:2890:3890:participant;127.0.0.1:2183"
	if string(dyn) != wantDyn {
		t.Fatalf("dynamic file %q", dyn)
	}
	if bak, _ := os.ReadFile(path + ".bak"); string(bak) != orig {
		t.Fatalf("zoo.cfg.bak %q", bak)
	}
	static, _ := os.ReadFile(path)
	abs, _ := filepath.Abs(path + ".dynamic.100000005")
	wantStatic := "tickTime=2000\ndataDir=" + dir + "\nreconfigEnabled=true\ndynamicConfigFile=" + abs + "\n"
	if string(static) != wantStatic {
		t.Fatalf("zoo.cfg %q, want %q", static, wantStatic)
	}
	c2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c2.ConfigVersion != 0x100000005 || NewVerifier(c2.Servers, c2.ConfigVersion).Text() != NewVerifier(v.Servers, v.Version).Text() {
		t.Fatalf("reloaded %d servers, version %x", len(c2.Servers), c2.ConfigVersion)
	}
	// A dynamic file must not carry a version (QuorumPeerConfig refuses it).
	os.WriteFile(abs, []byte(wantDyn+"\nversion=5"), 0o644)
	if _, err := Load(path); err == nil {
		t.Fatal("dynamic file with a version accepted")
	}
}

// TestStandaloneEnabled: one participant runs standalone unless standaloneEnabled=false.
func TestStandaloneEnabled(t *testing.T) {
	for _, tc := range []struct {
		text   string
		quorum bool
	}{
		{"server.1=127.0.0.1:2888:3888", false},
		{"server.1=127.0.0.1:2888:3888\nstandaloneEnabled=false", true},
		{"server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889", true},
		{"server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889:observer", false},
		{"", false},
	} {
		c, err := Parse(strings.NewReader("dataDir=/tmp\nclientPort=2181\n" + tc.text))
		if err != nil {
			t.Fatal(err)
		}
		if c.Quorum() != tc.quorum {
			t.Errorf("%q: quorum %v", tc.text, c.Quorum())
		}
	}
}
