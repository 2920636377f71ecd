package proxy

import (
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/zkgo/zkgo/wire"
)

// metrics holds every Prometheus series the proxy exports. All names start with zkproxy_.
// The model is Envoy's zookeeper_proxy filter (per-opcode <op>_rq / <op>_resp counters and
// bytes, <op>_resp_fast / <op>_resp_slow against per-opcode latency thresholds, watch_event,
// decoder_error), expressed as labelled Prometheus series and extended with latency
// histograms, error codes, per-path-prefix breakdowns, upstream health and cross-check
// divergences.
type metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.CounterVec // op, prefix
	requestBytes  *prometheus.CounterVec // op
	replies       *prometheus.CounterVec // op
	replyBytes    *prometheus.CounterVec // op
	replyErrors   *prometheus.CounterVec // op, code
	multiOps      *prometheus.CounterVec // parent, op
	multiResults  *prometheus.CounterVec // parent, code
	latency       *prometheus.HistogramVec
	fast          *prometheus.CounterVec // op, prefix
	slow          *prometheus.CounterVec // op, prefix
	threshold     *prometheus.GaugeVec   // op
	watchEvents   *prometheus.CounterVec // type, prefix
	eventBytes    prometheus.Counter
	inflight      prometheus.Gauge
	connsOpen     prometheus.Gauge
	connsTotal    prometheus.Counter
	sessionsOpen  prometheus.Gauge
	handshakes    *prometheus.CounterVec // result: new, reconnect, expired, failed
	connectReqs   *prometheus.CounterVec // readonly, readonly_byte
	fourLetter    *prometheus.CounterVec // word
	authRequests  *prometheus.CounterVec // scheme
	protoErrors   *prometheus.CounterVec // reason
	decodeErrors  *prometheus.CounterVec // direction
	unmatched     prometheus.Counter
	upstreamUp    *prometheus.GaugeVec   // upstream
	upstreamFails *prometheus.CounterVec // upstream
	upstreamConns *prometheus.GaugeVec   // upstream
	upstreamLost  *prometheus.CounterVec // upstream
	compared      *prometheus.CounterVec // op
	divergences   *prometheus.CounterVec // op, kind
	candLatency   *prometheus.HistogramVec

	prefixes *labelSet
	schemes  *labelSet
	depth    int

	sessMu   sync.Mutex
	sessions map[int64]int

	thresholds map[wire.Op]time.Duration
	defThresh  time.Duration
}

// labelSet bounds a label's cardinality: the first max distinct values are kept, later
// ones become "_other".
type labelSet struct {
	mu   sync.RWMutex
	max  int
	seen map[string]struct{}
}

func newLabelSet(max int) *labelSet { return &labelSet{max: max, seen: make(map[string]struct{})} }

func (s *labelSet) get(v string) string {
	s.mu.RLock()
	_, ok := s.seen[v]
	s.mu.RUnlock()
	if ok {
		return v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[v]; ok {
		return v
	}
	if len(s.seen) >= s.max {
		return "_other"
	}
	s.seen[v] = struct{}{}
	return v
}

// latencyBuckets run from 50µs to about 13 s.
var latencyBuckets = prometheus.ExponentialBuckets(0.00005, 2, 19)

func newMetrics(cfg *Config) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg:        reg,
		prefixes:   newLabelSet(cfg.MaxPrefixes),
		schemes:    newLabelSet(16),
		depth:      cfg.PrefixDepth,
		sessions:   make(map[int64]int),
		thresholds: cfg.LatencyThresholds,
		defThresh:  cfg.DefaultLatencyThreshold,
	}
	cv := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "zkproxy", Name: name, Help: help}, labels)
		reg.MustRegister(c)
		return c
	}
	gv := func(name, help string, labels ...string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "zkproxy", Name: name, Help: help}, labels)
		reg.MustRegister(g)
		return g
	}
	c := func(name, help string) prometheus.Counter {
		x := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "zkproxy", Name: name, Help: help})
		reg.MustRegister(x)
		return x
	}
	g := func(name, help string) prometheus.Gauge {
		x := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "zkproxy", Name: name, Help: help})
		reg.MustRegister(x)
		return x
	}
	hv := func(name, help string) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "zkproxy", Name: name, Help: help, Buckets: latencyBuckets}, []string{"op"})
		reg.MustRegister(h)
		return h
	}
	m.requests = cv("requests_total", "Client requests by opcode and path prefix.", "op", "prefix")
	m.requestBytes = cv("request_bytes_total", "Bytes of client request frames (length prefix included) by opcode.", "op")
	m.replies = cv("replies_total", "Server replies by the opcode of the request they answer.", "op")
	m.replyBytes = cv("reply_bytes_total", "Bytes of server reply frames (length prefix included) by opcode.", "op")
	m.replyErrors = cv("reply_errors_total", "Replies with a non-zero ReplyHeader.err, by opcode and error code name.", "op", "code")
	m.multiOps = cv("multi_ops_total", "Sub-operations inside multi and multiRead requests.", "parent", "op")
	m.multiResults = cv("multi_results_total", "Results inside multi and multiRead replies by error code name (OK for success).", "parent", "code")
	m.latency = hv("request_duration_seconds", "Time from forwarding a request upstream to receiving its reply, by opcode.")
	m.fast = cv("replies_fast_total", "Replies faster than the opcode's latency threshold (Envoy <op>_resp_fast).", "op", "prefix")
	m.slow = cv("replies_slow_total", "Replies at or over the opcode's latency threshold (Envoy <op>_resp_slow).", "op", "prefix")
	m.threshold = gv("latency_threshold_seconds", "Configured fast/slow latency threshold per opcode.", "op")
	m.watchEvents = cv("watch_events_total", "Watch notifications (xid -1) by event type and path prefix.", "type", "prefix")
	m.eventBytes = c("watch_event_bytes_total", "Bytes of watch notification frames.")
	m.inflight = g("requests_inflight", "Requests forwarded upstream and not yet answered.")
	m.connsOpen = g("connections_open", "Client connections currently open (handshake pending or done).")
	m.connsTotal = c("connections_total", "Client connections accepted.")
	m.sessionsOpen = g("sessions_open", "Distinct sessions with an established connection through the proxy.")
	m.handshakes = cv("handshakes_total", "Connect handshakes by result: new (session created), reconnect (existing session), expired (server answered with an invalid session), failed (no upstream answered).", "result")
	m.connectReqs = cv("connect_requests_total", "ConnectRequests by readOnly flag and whether the optional readOnly byte was present.", "readonly", "readonly_byte")
	m.fourLetter = cv("four_letter_words_total", "Four-letter-word commands passed to an upstream.", "word")
	m.authRequests = cv("auth_requests_total", "Auth packets (opcode 100) by scheme.", "scheme")
	m.protoErrors = cv("client_protocol_errors_total", "Client connections closed for a framing violation, by reason.", "reason")
	m.decodeErrors = cv("decode_errors_total", "Frames forwarded whose body did not decode, by direction (request, reply).", "direction")
	m.unmatched = c("unmatched_replies_total", "Replies whose xid matched no pending request.")
	m.upstreamUp = gv("upstream_up", "1 if the upstream answered the last health probe or connect, else 0.", "upstream")
	m.upstreamFails = cv("upstream_connect_failures_total", "Failed connects or handshakes to an upstream.", "upstream")
	m.upstreamConns = gv("upstream_connections_open", "Proxied connections open to each upstream.", "upstream")
	m.upstreamLost = cv("upstream_disconnects_total", "Established upstream connections the upstream closed or lost while the client was still connected.", "upstream")
	m.compared = cv("crosscheck_compared_total", "Cross-check mode: request/reply pairs compared, by opcode.", "op")
	m.divergences = cv("crosscheck_divergences_total", "Cross-check mode: divergences by opcode and kind (reply, event, connect, connection).", "op", "kind")
	m.candLatency = hv("crosscheck_candidate_request_duration_seconds", "Cross-check mode: request latency on the candidate (the oracle's is request_duration_seconds).")
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	for op := range allOps() {
		m.threshold.WithLabelValues(op.String()).Set(m.thresholdFor(op).Seconds())
	}
	return m
}

// allOps yields every opcode a client can send.
func allOps() map[wire.Op]struct{} {
	ops := map[wire.Op]struct{}{}
	for o := wire.Op(-11); o <= 107; o++ {
		if o.Known() && o != wire.OpNotification && o != wire.OpError && o != wire.OpCreateSession {
			ops[o] = struct{}{}
		}
	}
	return ops
}

func (m *metrics) thresholdFor(op wire.Op) time.Duration {
	if t, ok := m.thresholds[op]; ok {
		return t
	}
	return m.defThresh
}

// opLabel keeps the op label bounded: unknown opcodes share one value.
func opLabel(op wire.Op) string {
	if op.Known() {
		return op.String()
	}
	return "unknown"
}

// prefix returns the path prefix label of path: its first depth components, through the
// cardinality bound.
func (m *metrics) prefix(path string) string {
	if path == "" {
		return ""
	}
	if path == "/" || m.depth <= 0 {
		return m.prefixes.get("/")
	}
	n := 0
	for i := 1; i < len(path); i++ {
		if path[i] == '/' {
			n++
			if n == m.depth {
				return m.prefixes.get(path[:i])
			}
		}
	}
	return m.prefixes.get(strings.TrimSuffix(path, "/"))
}

func (m *metrics) request(r *request) {
	op := opLabel(r.Op)
	m.requests.WithLabelValues(op, m.prefix(r.Path)).Inc()
	m.requestBytes.WithLabelValues(op).Add(float64(r.Size))
	for _, s := range r.Multi {
		m.multiOps.WithLabelValues(op, opLabel(s.Op)).Inc()
	}
	if r.BodyErr != nil {
		m.decodeErrors.WithLabelValues("request").Inc()
	}
}

func (m *metrics) auth(scheme string) {
	m.authRequests.WithLabelValues(m.schemes.get(scheme)).Inc()
}

func (m *metrics) reply(r *request, rep *reply, d time.Duration) {
	op := opLabel(r.Op)
	m.replies.WithLabelValues(op).Inc()
	m.replyBytes.WithLabelValues(op).Add(float64(rep.Size))
	if rep.Hdr.Err != 0 {
		m.replyErrors.WithLabelValues(op, wire.Code(rep.Hdr.Err).String()).Inc()
	}
	for _, res := range rep.Multi {
		m.multiResults.WithLabelValues(op, res.Err.String()).Inc()
	}
	if rep.BodyErr != nil {
		m.decodeErrors.WithLabelValues("reply").Inc()
	}
	m.latency.WithLabelValues(op).Observe(d.Seconds())
	pfx := m.prefix(r.Path)
	if d < m.thresholdFor(r.Op) {
		m.fast.WithLabelValues(op, pfx).Inc()
	} else {
		m.slow.WithLabelValues(op, pfx).Inc()
	}
}

func (m *metrics) event(rep *reply) {
	m.eventBytes.Add(float64(rep.Size))
	if rep.Event == nil {
		m.decodeErrors.WithLabelValues("reply").Inc()
		return
	}
	m.watchEvents.WithLabelValues(wire.EventType(rep.Event.Type).String(), m.prefix(rep.Event.Path)).Inc()
}

func (m *metrics) sessionUp(id int64) {
	m.sessMu.Lock()
	m.sessions[id]++
	m.sessionsOpen.Set(float64(len(m.sessions)))
	m.sessMu.Unlock()
}

func (m *metrics) sessionDown(id int64) {
	m.sessMu.Lock()
	if m.sessions[id]--; m.sessions[id] <= 0 {
		delete(m.sessions, id)
	}
	m.sessionsOpen.Set(float64(len(m.sessions)))
	m.sessMu.Unlock()
}
