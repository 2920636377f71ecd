package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/zkgo/zkgo/internal/gcheadroom"
	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/zkserver"
)

// defaultConfig is what `zkgo server` (and `make run`) uses without a zoo.cfg: a standalone
// server on 127.0.0.1:2181 with its data in ./.zkgo/data.
const defaultConfig = `tickTime=2000
dataDir=.zkgo/data
clientPort=2181
clientPortAddress=127.0.0.1
4lw.commands.whitelist=*
admin.serverAddress=127.0.0.1
admin.serverPort=8080
`

func init() {
	register("server", "run a ZooKeeper-compatible server: zkgo server [zoo.cfg]", runServer)
	register("version", "print the version", func([]string) int { fmt.Println(zkserver.FullVersion()); return 0 })
}

func runServer(args []string) int {
	lg := newLogger()
	var cfg *config.Config
	var err error
	if len(args) > 0 {
		cfg, err = loadConfig(lg, args[0])
	} else {
		lg.Info("no zoo.cfg given: using the embedded default config")
		cfg, err = config.Parse(strings.NewReader(defaultConfig))
	}
	if err != nil {
		lg.Error("bad configuration", "err", err)
		return 2
	}
	for _, k := range cfg.Order {
		lg.Debug("config", "key", k)
	}
	lg.LogAttrs(context.Background(), slog.LevelInfo, "effective config", zkserver.EffectiveConfig(cfg)...)
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		lg.Error("dataDir", "err", err)
		return 1
	}
	if n, ok := serverProcs(runtime.GOMAXPROCS(0), os.Getenv("GOMAXPROCS")); ok {
		runtime.GOMAXPROCS(n)
		lg.Info("scheduler", "GOMAXPROCS", n, "cpus", runtime.NumCPU())
	}
	if os.Getenv("GOGC") == "" {
		// GC headroom max(64 MB, live/4) instead of GOGC=100's live: RSS with a large tree
		// near 1.25x its live heap rather than 2x (internal/gcheadroom).
		gcheadroom.Start(gcheadroom.DefaultMin, gcheadroom.DefaultDivisor)
	}
	s, err := zkserver.Start(cfg, zkserver.Options{Logger: lg})
	if err != nil {
		lg.Error("start failed", "err", err)
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	lg.Info("shutting down")
	s.Close()
	return 0
}

// loadConfig reads the zoo.cfg at path; when there is none and ZOO_* variables are set (a
// container started the way the common ZooKeeper images are), it writes the config they
// describe to a temporary zoo.cfg, and myid into the dataDir, and reads that.
// ZOO_MY_ID is written as myid when the dataDir has none, with a zoo.cfg present or not.
func loadConfig(lg *slog.Logger, path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		if _, statErr := os.Stat(path); statErr == nil || !config.HasEnvConfig(os.Getenv) {
			return nil, err
		}
		text, _, err := config.EnvConfig(os.Getenv)
		if err != nil {
			return nil, err
		}
		gen := filepath.Join(os.TempDir(), "zoo.cfg")
		if err := os.WriteFile(gen, []byte(text), 0o644); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		lg.Info("no zoo.cfg: generated one from ZOO_* variables", "missing", path, "generated", gen)
		if cfg, err = config.Load(gen); err != nil {
			return nil, err
		}
	}
	id, err := config.EnvMyID(os.Getenv)
	if err != nil {
		return nil, err
	}
	if id > 0 {
		if err := config.WriteMyIDIfMissing(cfg.DataDir, id); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// newLogger logs to stderr at ZKGO_LOG's level (debug, info, warn, error; default info), as
// text or, with ZKGO_LOG_FORMAT=json, as JSON lines.
func newLogger() *slog.Logger {
	o := &slog.HandlerOptions{Level: logLevel()}
	if strings.EqualFold(os.Getenv("ZKGO_LOG_FORMAT"), "json") {
		return slog.New(slog.NewJSONHandler(os.Stderr, o))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, o))
}

func logLevel() slog.Level {
	switch strings.ToLower(os.Getenv("ZKGO_LOG")) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// serverProcs is the server's GOMAXPROCS when the environment does not set one: half of Go's
// default (the usable CPUs), at least 1. A ZooKeeper server's work is short requests handed
// between a few goroutines (connection readers, the log writer, learner handlers); with a P
// per CPU, every hand-off to a goroutine wakes an idle P's thread, which spins looking for
// work, and on a small machine that costs more than it gains: on 2 CPUs shared with the
// clients, 1 P took the server's CPU per write from 43-52 to 27-35 µs standalone and 160-183
// to 127-151 µs summed over a 3-node ensemble, for 15-25% more writes/s, reads unchanged
// (bench/NOTES.md, session 5). ok is false when GOMAXPROCS is set: the operator decides.
func serverProcs(defaultProcs int, env string) (n int, ok bool) {
	if env != "" {
		return 0, false
	}
	return max(1, defaultProcs/2), true
}
