package proxy

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// Main runs `zkgo proxy` with the arguments after the subcommand name and returns the
// process exit code: 0 after a clean shutdown (SIGINT/SIGTERM), 2 for bad flags, 1 for
// other failures. In cross-check mode the summary goes to stdout at exit.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, args, os.Stdout, os.Stderr)
}

// Run is Main with an explicit context (cancel it to stop) and output streams.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := ParseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, err)
		return 2
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	p, err := Start(cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	msg := []any{"listen", p.Addr().String()}
	if a := p.MetricsAddr(); a != nil {
		msg = append(msg, "metrics", "http://"+a.String()+"/metrics")
	}
	if cfg.Oracle != "" {
		msg = append(msg, "oracle", cfg.Oracle, "candidate", cfg.Candidate)
	} else {
		msg = append(msg, "upstreams", cfg.Upstreams)
	}
	cfg.Logger.Info("proxy: serving", msg...)
	<-ctx.Done()
	p.Close()
	if cfg.Oracle != "" {
		fmt.Fprint(stdout, p.Summary().String())
	}
	return 0
}
