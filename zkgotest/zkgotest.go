// Package zkgotest starts an in-process zkgo server inside a Go test: a free loopback port, a
// temporary data dir, no JVM. Stop it with Stop (or let t.Cleanup do it).
//
//	srv := zkgotest.Start(t)
//	conn, _, err := zk.Connect([]string{srv.Addr()}, time.Second)
package zkgotest

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/zkgo/zkgo/server/config"
	"github.com/zkgo/zkgo/server/zkserver"
)

// Server is a running in-process server.
type Server struct {
	*zkserver.Server
	DataDir string
}

// Option adjusts the zoo.cfg of the test server.
type Option func(cfg map[string]string)

// WithConfig sets a zoo.cfg key (e.g. "tickTime", "extendedTypesEnabled").
func WithConfig(key, value string) Option { return func(m map[string]string) { m[key] = value } }

// Start starts a server and registers its Stop with t.Cleanup.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := StartServer(tb.TempDir(), opts...)
	if err != nil {
		tb.Fatalf("zkgotest: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// StartServer starts a server with its data in dir (for use outside tests).
func StartServer(dir string, opts ...Option) (*Server, error) {
	m := map[string]string{
		"tickTime":               "2000",
		"dataDir":                dir,
		"clientPort":             "1",
		"4lw.commands.whitelist": "*",
		"admin.enableServer":     "false",
	}
	for _, o := range opts {
		o(m)
	}
	var sb strings.Builder
	for k, v := range m {
		fmt.Fprintf(&sb, "%s=%s\n", k, v)
	}
	cfg, err := config.Parse(strings.NewReader(sb.String()))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var out io.Writer = io.Discard
	if os.Getenv("ZKGO_TEST_LOG") != "" {
		out = os.Stderr
	}
	lg := slog.New(slog.NewTextHandler(out, nil))
	s, err := zkserver.Start(cfg, zkserver.Options{Logger: lg, Listener: ln})
	if err != nil {
		ln.Close()
		return nil, err
	}
	return &Server{Server: s, DataDir: dir}, nil
}

// Stop stops the server.
func (s *Server) Stop() { s.Close() }
