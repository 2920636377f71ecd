package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestEnvConfigDefaults(t *testing.T) {
	get := envOf(map[string]string{"ZOO_MY_ID": "3"})
	if !HasEnvConfig(get) || HasEnvConfig(envOf(nil)) {
		t.Fatal("HasEnvConfig")
	}
	text, id, err := EnvConfig(get)
	if err != nil || id != 3 {
		t.Fatalf("EnvConfig: %d, %v", id, err)
	}
	c, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if c.TickTime != 2*time.Second || c.InitLimit != 5 || c.SyncLimit != 2 || c.DataDir != "/data" ||
		c.ClientPort != 2181 || c.MaxClientCnxns != 60 || c.AdminEnabled || len(c.Servers) != 0 ||
		!c.FourLetterWords["mntr"] || c.FourLetterWords["dump"] {
		t.Errorf("defaults: %+v", c)
	}
}

func TestEnvConfigEnsemble(t *testing.T) {
	get := envOf(map[string]string{
		"ZOO_MY_ID":        "2",
		"ZOO_SERVERS":      "server.1=zk1:2888:3888;2181 server.2=zk2:2888:3888;2181 server.3=zk3:2888:3888:observer;2181",
		"ZOO_TICK_TIME":    "500",
		"ZOO_DATA_DIR":     "/var/zk",
		"ZOO_DATA_LOG_DIR": "/var/zklog",
		"ZOO_CFG_EXTRA":    "snapCount=2000 maxClientCnxns=0",
	})
	text, id, err := EnvConfig(get)
	if err != nil || id != 2 {
		t.Fatalf("EnvConfig: %d, %v", id, err)
	}
	c, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if c.TickTime != 500*time.Millisecond || c.DataDir != "/var/zk" || c.DataLogDir != "/var/zklog" ||
		c.SnapCount != 2000 || c.MaxClientCnxns != 0 || len(c.Servers) != 3 || !c.Servers[2].Observer ||
		c.Servers[1].Host != "zk2" || c.Servers[1].ClientPort != 2181 {
		t.Errorf("parsed: %+v", c)
	}
}

func TestEnvConfigBad(t *testing.T) {
	for _, m := range []map[string]string{
		{"ZOO_MY_ID": "one"},
		{"ZOO_MY_ID": "0"},
		{"ZOO_CFG_EXTRA": "snapCount"},
		{"ZOO_CFG_EXTRA": "=5"},
	} {
		if _, _, err := EnvConfig(envOf(m)); err == nil {
			t.Errorf("%v: no error", m)
		}
	}
}

func TestWriteMyIDIfMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := WriteMyIDIfMissing(dir, 4); err != nil {
		t.Fatal(err)
	}
	if id, err := ReadMyID(dir); err != nil || id != 4 {
		t.Fatalf("myid %d, %v", id, err)
	}
	if err := WriteMyIDIfMissing(dir, 5); err != nil { // kept: the dataDir has its own
		t.Fatal(err)
	}
	if id, _ := ReadMyID(dir); id != 4 {
		t.Fatalf("myid overwritten: %d", id)
	}
	if _, err := os.Stat(filepath.Join(dir, "myid")); err != nil {
		t.Fatal(err)
	}
}
