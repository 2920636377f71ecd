package proxy

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/zkgo/zkgo/jute"
	"github.com/zkgo/zkgo/wire"
)

// Config configures a Proxy. Either Upstreams (forwarding mode) or Oracle and Candidate
// (cross-check mode) must be set.
type Config struct {
	// Listen is the client address, e.g. "127.0.0.1:2181" (":0" picks a port).
	Listen string
	// Upstreams are the ZooKeeper servers sessions are spread across (forwarding mode).
	Upstreams []string
	// MetricsAddr, when set, serves Prometheus metrics at http://MetricsAddr/metrics.
	MetricsAddr string
	// LogFile, when set, receives one JSON line per request/reply pair and per watch event.
	LogFile string
	// Log receives the JSON lines instead of LogFile when set (tests).
	Log io.Writer

	// Oracle and Candidate select cross-check mode: every session is opened on both, every
	// request goes to both, clients get the oracle's replies and the candidate's are compared.
	Oracle, Candidate string
	// ReportFile receives one JSON line per divergence (cross-check mode).
	ReportFile string
	// Report receives the divergence lines instead of ReportFile when set (tests).
	Report io.Writer
	// ExactZxid compares zxids by value instead of by first-seen order.
	ExactZxid bool
	// CandidateTimeout bounds how long an oracle reply is held for the candidate's (default
	// 10 s); a later candidate reply is still compared and the delay reported.
	CandidateTimeout time.Duration

	// MaxBuffer is jute.maxbuffer: client frames longer than this close that client.
	MaxBuffer int
	// MaxReplyBuffer bounds upstream frames (default 64 MiB: the proxy never rejects what a
	// server chose to send; clients apply their own jute.maxbuffer).
	MaxReplyBuffer int
	// DialTimeout bounds each upstream connect (default 2 s).
	DialTimeout time.Duration
	// HandshakeTimeout bounds reading a client's first frame and an upstream's
	// ConnectResponse (default 10 s).
	HandshakeTimeout time.Duration
	// HealthInterval is the period of the srvr probe sent to each upstream (default 2 s;
	// negative disables probing, leaving health to connect results).
	HealthInterval time.Duration

	// DefaultLatencyThreshold splits replies into fast and slow (default 100 ms), as Envoy's
	// default_latency_threshold; LatencyThresholds overrides it per opcode.
	DefaultLatencyThreshold time.Duration
	LatencyThresholds       map[wire.Op]time.Duration
	// PrefixDepth is how many path components the prefix label keeps (default 1: "/app").
	PrefixDepth int
	// MaxPrefixes bounds the prefix label's distinct values (default 64); later prefixes are
	// counted under "_other".
	MaxPrefixes int

	// Logger receives operational messages (default: text to stderr).
	Logger *slog.Logger
}

func (c *Config) setDefaults() error {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:0"
	}
	cross := c.Oracle != "" || c.Candidate != ""
	if cross && (c.Oracle == "" || c.Candidate == "") {
		return errors.New("proxy: cross-check mode needs both --oracle and --candidate")
	}
	if cross && len(c.Upstreams) > 0 {
		return errors.New("proxy: --upstream and --oracle/--candidate are exclusive")
	}
	if !cross && len(c.Upstreams) == 0 {
		return errors.New("proxy: no --upstream given")
	}
	if c.MaxBuffer <= 0 {
		c.MaxBuffer = jute.DefaultMaxBuffer
	}
	if c.MaxReplyBuffer <= 0 {
		c.MaxReplyBuffer = 64 << 20
	}
	if c.MaxReplyBuffer < c.MaxBuffer {
		c.MaxReplyBuffer = c.MaxBuffer
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 2 * time.Second
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = 10 * time.Second
	}
	if c.HealthInterval == 0 {
		c.HealthInterval = 2 * time.Second
	}
	if c.CandidateTimeout <= 0 {
		c.CandidateTimeout = 10 * time.Second
	}
	if c.DefaultLatencyThreshold <= 0 {
		c.DefaultLatencyThreshold = 100 * time.Millisecond
	}
	if c.PrefixDepth <= 0 {
		c.PrefixDepth = 1
	}
	if c.MaxPrefixes <= 0 {
		c.MaxPrefixes = 64
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// ParseFlags parses the `zkgo proxy` command line into a Config.
//
//	zkgo proxy --listen ADDR --upstream host:port[,host:port...] [--metrics ADDR] [--log FILE.jsonl]
//	zkgo proxy --listen ADDR --oracle host:port --candidate host:port [--report FILE.jsonl] [--exact-zxid]
//
// plus --max-buffer, --latency-threshold, --latency-thresholds op=dur[,op=dur...],
// --prefix-depth, --max-prefixes, --health-interval, --dial-timeout.
func ParseFlags(args []string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("zkgo proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var upstreams, overrides string
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:2181", "client `address` to listen on")
	fs.StringVar(&upstreams, "upstream", "", "comma-separated upstream ZooKeeper `host:port` list")
	fs.StringVar(&c.MetricsAddr, "metrics", "", "serve Prometheus metrics at http://`ADDR`/metrics")
	fs.StringVar(&c.LogFile, "log", "", "JSON-lines request log `file`")
	fs.StringVar(&c.Oracle, "oracle", "", "cross-check mode: the reference server `host:port` (clients get its replies)")
	fs.StringVar(&c.Candidate, "candidate", "", "cross-check mode: the server `host:port` under test")
	fs.StringVar(&c.ReportFile, "report", "", "cross-check mode: JSON-lines divergence report `file`")
	fs.BoolVar(&c.ExactZxid, "exact-zxid", false, "cross-check mode: compare zxids by value, not by first-seen order")
	fs.DurationVar(&c.CandidateTimeout, "candidate-timeout", 10*time.Second, "cross-check mode: longest wait for the candidate's reply before releasing the oracle's")
	fs.IntVar(&c.MaxBuffer, "max-buffer", jute.DefaultMaxBuffer, "jute.maxbuffer: largest client frame accepted")
	fs.DurationVar(&c.DefaultLatencyThreshold, "latency-threshold", 100*time.Millisecond, "default fast/slow reply latency threshold")
	fs.StringVar(&overrides, "latency-thresholds", "", "per-opcode thresholds, e.g. create=150ms,multi=200ms")
	fs.IntVar(&c.PrefixDepth, "prefix-depth", 1, "path components kept in the prefix metric label")
	fs.IntVar(&c.MaxPrefixes, "max-prefixes", 64, "distinct prefix label values before \"_other\"")
	fs.DurationVar(&c.HealthInterval, "health-interval", 2*time.Second, "upstream srvr probe period (negative: off)")
	fs.DurationVar(&c.DialTimeout, "dial-timeout", 2*time.Second, "upstream connect timeout")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("proxy: unexpected arguments %q", fs.Args())
	}
	for _, u := range strings.Split(upstreams, ",") {
		if u = strings.TrimSpace(u); u != "" {
			c.Upstreams = append(c.Upstreams, u)
		}
	}
	th, err := parseThresholds(overrides)
	if err != nil {
		return c, err
	}
	c.LatencyThresholds = th
	return c, nil
}

// parseThresholds reads "create=150ms,multi=200ms" (opcode names as wire.Op.String prints
// them, case-insensitive, or numbers).
func parseThresholds(s string) (map[wire.Op]time.Duration, error) {
	out := map[wire.Op]time.Duration{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, kv := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return nil, fmt.Errorf("proxy: --latency-thresholds: %q is not op=duration", kv)
		}
		op, ok := opByName(name)
		if !ok {
			return nil, fmt.Errorf("proxy: --latency-thresholds: unknown opcode %q", name)
		}
		d, err := time.ParseDuration(val)
		if err != nil {
			return nil, fmt.Errorf("proxy: --latency-thresholds: %s: %w", name, err)
		}
		out[op] = d
	}
	return out, nil
}

func opByName(name string) (wire.Op, bool) {
	for op := range allOps() {
		if strings.EqualFold(op.String(), name) {
			return op, true
		}
	}
	var n int
	if _, err := fmt.Sscanf(name, "%d", &n); err == nil && wire.Op(n).Known() {
		return wire.Op(n), true
	}
	return 0, false
}
