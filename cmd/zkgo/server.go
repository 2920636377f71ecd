package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

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
		cfg, err = config.Load(args[0])
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
