package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Container images configure ZooKeeper from the environment when no zoo.cfg is mounted, as
// the common ZooKeeper images do (their docker-entrypoint.sh): zkgo's scratch image has no
// shell, so the zkgo binary does it itself, with the same variables and defaults as the Java
// images' entrypoint (docker/java/entrypoint.sh).
//
//	ZOO_MY_ID                    written to <dataDir>/myid when that file is missing
//	ZOO_SERVERS                  "server.1=h1:2888:3888;2181 server.2=..." (space separated)
//	ZOO_DATA_DIR (/data), ZOO_DATA_LOG_DIR (none), ZOO_TICK_TIME (2000), ZOO_INIT_LIMIT (5),
//	ZOO_SYNC_LIMIT (2), ZOO_MAX_CLIENT_CNXNS (60), ZOO_STANDALONE_ENABLED (true),
//	ZOO_ADMINSERVER_ENABLED (false), ZOO_AUTOPURGE_PURGEINTERVAL (0),
//	ZOO_AUTOPURGE_SNAPRETAINCOUNT (3), ZOO_4LW_COMMANDS_WHITELIST (srvr,ruok,stat,mntr,conf)
//	ZOO_CFG_EXTRA                extra "key=value" pairs, space separated
//
// clientPort is 2181.

// envKeys are the variables that make EnvConfig apply.
var envKeys = []string{"ZOO_MY_ID", "ZOO_SERVERS", "ZOO_DATA_DIR", "ZOO_DATA_LOG_DIR", "ZOO_TICK_TIME",
	"ZOO_INIT_LIMIT", "ZOO_SYNC_LIMIT", "ZOO_MAX_CLIENT_CNXNS", "ZOO_STANDALONE_ENABLED",
	"ZOO_ADMINSERVER_ENABLED", "ZOO_AUTOPURGE_PURGEINTERVAL", "ZOO_AUTOPURGE_SNAPRETAINCOUNT",
	"ZOO_4LW_COMMANDS_WHITELIST", "ZOO_CFG_EXTRA"}

// HasEnvConfig reports whether any ZOO_* configuration variable is set.
func HasEnvConfig(getenv func(string) string) bool {
	for _, k := range envKeys {
		if getenv(k) != "" {
			return true
		}
	}
	return false
}

// EnvConfig returns the zoo.cfg text the environment describes (see the list above) and the
// server id from ZOO_MY_ID (0 when unset). A malformed ZOO_MY_ID or ZOO_CFG_EXTRA entry is an
// error naming the variable.
func EnvConfig(getenv func(string) string) (string, int64, error) {
	get := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, v) }
	line("tickTime", get("ZOO_TICK_TIME", "2000"))
	line("initLimit", get("ZOO_INIT_LIMIT", "5"))
	line("syncLimit", get("ZOO_SYNC_LIMIT", "2"))
	line("maxClientCnxns", get("ZOO_MAX_CLIENT_CNXNS", "60"))
	line("dataDir", get("ZOO_DATA_DIR", "/data"))
	if d := getenv("ZOO_DATA_LOG_DIR"); d != "" {
		line("dataLogDir", d)
	}
	line("clientPort", "2181")
	line("standaloneEnabled", get("ZOO_STANDALONE_ENABLED", "true"))
	line("admin.enableServer", get("ZOO_ADMINSERVER_ENABLED", "false"))
	line("autopurge.purgeInterval", get("ZOO_AUTOPURGE_PURGEINTERVAL", "0"))
	line("autopurge.snapRetainCount", get("ZOO_AUTOPURGE_SNAPRETAINCOUNT", "3"))
	line("4lw.commands.whitelist", get("ZOO_4LW_COMMANDS_WHITELIST", "srvr,ruok,stat,mntr,conf"))
	for _, kv := range strings.Fields(getenv("ZOO_CFG_EXTRA")) {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return "", 0, fmt.Errorf("config: ZOO_CFG_EXTRA: %q is not key=value", kv)
		}
		b.WriteString(kv + "\n")
	}
	for _, s := range strings.Fields(getenv("ZOO_SERVERS")) {
		b.WriteString(s + "\n")
	}
	id, err := EnvMyID(getenv)
	if err != nil {
		return "", 0, err
	}
	return b.String(), id, nil
}

// EnvMyID is the server id in ZOO_MY_ID, 0 when unset; it applies with a mounted zoo.cfg too.
func EnvMyID(getenv func(string) string) (int64, error) {
	v := getenv("ZOO_MY_ID")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("config: ZOO_MY_ID: %q is not a server id", v)
	}
	return n, nil
}

// WriteMyIDIfMissing writes id to <dataDir>/myid unless that file exists (a mounted dataDir
// keeps its own), as the common images do.
func WriteMyIDIfMissing(dataDir string, id int64) error {
	p := filepath.Join(dataDir, "myid")
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := os.WriteFile(p, []byte(strconv.FormatInt(id, 10)+"\n"), 0o644); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}
