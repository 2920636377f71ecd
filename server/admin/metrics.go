package admin

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Summary is Java's AvgMinMaxCounter (BASIC) or AvgMinMaxPercentileCounter (ADVANCED): count,
// sum, min, max and a 4096-value uniform reservoir for the percentiles (kept for BASIC ones
// too: the Prometheus export shows their median).
type Summary struct {
	name     string
	advanced bool

	mu       sync.Mutex
	count    int64
	total    int64
	min, max int64
	seen     int64 // values offered to the reservoir since the last reset
	res      []int64
}

const reservoirSize = 4096

func newSummary(name string, advanced bool) *Summary {
	return &Summary{name: name, advanced: advanced}
}

// Add records one value (a latency in ms, a size, a count).
func (s *Summary) Add(v int64) {
	s.mu.Lock()
	if s.count == 0 || v < s.min {
		s.min = v
	}
	if s.count == 0 || v > s.max {
		s.max = v
	}
	s.count++
	s.total += v
	s.seen++
	if len(s.res) < reservoirSize {
		s.res = append(s.res, v)
	} else if r := rand.Int64N(s.seen); r < reservoirSize {
		s.res[r] = v
	}
	s.mu.Unlock()
}

func (s *Summary) reset() {
	s.mu.Lock()
	s.count, s.total, s.min, s.max, s.seen = 0, 0, 0, 0, 0
	s.res = nil
	s.mu.Unlock()
}

// SummaryValues is a consistent read of a Summary.
type SummaryValues struct {
	Count, Sum, Min, Max int64
	Avg                  float64
	sorted               []int64
}

// Values reads the summary.
func (s *Summary) Values() SummaryValues {
	s.mu.Lock()
	v := SummaryValues{Count: s.count, Sum: s.total, Min: s.min, Max: s.max}
	v.sorted = slices.Clone(s.res)
	s.mu.Unlock()
	slices.Sort(v.sorted)
	if v.Count > 0 {
		v.Avg = round4(float64(v.Sum) / float64(v.Count))
	}
	return v
}

// Quantile is Dropwizard's UniformSnapshot.getValue: linear interpolation between the
// reservoir's sorted values at q*(n+1); 0 when empty.
func (v SummaryValues) Quantile(q float64) float64 {
	n := len(v.sorted)
	if n == 0 {
		return 0
	}
	pos := q * float64(n+1)
	i := int(pos)
	if i < 1 {
		return float64(v.sorted[0])
	}
	if i >= n {
		return float64(v.sorted[n-1])
	}
	lo, hi := float64(v.sorted[i-1]), float64(v.sorted[i])
	return lo + (pos-float64(i))*(hi-lo)
}

// javaRound is Math.round for the percentiles mntr prints.
func javaRound(f float64) int64 {
	if f < 0 {
		return -int64(-f + 0.5)
	}
	return int64(f + 0.5)
}

// dump prints the summary the way Java's values() maps do.
func (s *Summary) dump(prefix string, sink func(string, any)) {
	v := s.Values()
	name := prefix + s.name
	sink("avg_"+name, v.Avg)
	sink("min_"+name, v.Min)
	sink("max_"+name, v.Max)
	sink("cnt_"+name, v.Count)
	sink("sum_"+name, v.Sum)
	if s.advanced {
		sink("p50_"+name, javaRound(v.Quantile(0.5)))
		sink("p95_"+name, javaRound(v.Quantile(0.95)))
		sink("p99_"+name, javaRound(v.Quantile(0.99)))
		sink("p999_"+name, javaRound(v.Quantile(0.999)))
	}
}

// SummarySet is a family of summaries keyed by a label (Java's AvgMinMaxCounterSet).
type SummarySet struct {
	name     string
	advanced bool
	mu       sync.Mutex
	m        map[string]*Summary
}

// Add records v under key.
func (s *SummarySet) Add(key string, v int64) {
	s.mu.Lock()
	x := s.m[key]
	if x == nil {
		x = newSummary(s.name, s.advanced)
		s.m[key] = x
	}
	s.mu.Unlock()
	x.Add(v)
}

func (s *SummarySet) ensure(key string) {
	s.mu.Lock()
	if s.m[key] == nil {
		s.m[key] = newSummary(s.name, s.advanced)
	}
	s.mu.Unlock()
}

func (s *SummarySet) each(f func(key string, x *Summary)) {
	s.mu.Lock()
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	s.mu.Unlock()
	slices.Sort(keys)
	for _, k := range keys {
		s.mu.Lock()
		x := s.m[k]
		s.mu.Unlock()
		f(k, x)
	}
}

// CounterSet is a family of counters keyed by a label.
type CounterSet struct {
	mu sync.Mutex
	m  map[string]*atomic.Int64
}

// Add adds d under key.
func (c *CounterSet) Add(key string, d int64) {
	c.mu.Lock()
	x := c.m[key]
	if x == nil {
		x = new(atomic.Int64)
		c.m[key] = x
	}
	c.mu.Unlock()
	x.Add(d)
}

func (c *CounterSet) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.m))
	for k, v := range c.m {
		out[k] = v.Load()
	}
	return out
}

// Metrics holds Java ZooKeeper's ServerMetrics under their Java names (counters, summaries,
// summary and counter sets); gauges are read from the Backend when dumped. zkgo feeds the ones
// it has an equivalent for (request latencies, per-namespace reads and writes, fsync time and
// group-commit sizes); the others stay at zero but are always there, so that every key Java
// prints is printed. All methods are safe for concurrent use.
type Metrics struct {
	// Prometheus is set when metricsProvider.className is the Prometheus provider: as in
	// Java, mntr then lists the Prometheus samples and srst does not reset metrics.
	Prometheus bool

	counters    map[string]*atomic.Int64
	summaries   map[string]*Summary
	sets        map[string]*SummarySet
	counterSets map[string]*CounterSet

	extra *extraMetrics // zkgo_* Prometheus metrics

	// the ones every request feeds, looked up once
	readLat, updateLat *Summary
	readNS, writeNS    *SummarySet
}

// NewMetrics returns the metrics, all at zero.
func NewMetrics() *Metrics {
	m := &Metrics{
		counters:    map[string]*atomic.Int64{},
		summaries:   map[string]*Summary{},
		sets:        map[string]*SummarySet{},
		counterSets: map[string]*CounterSet{},
		extra:       newExtraMetrics(),
	}
	for _, n := range javaCounters {
		m.counters[n] = new(atomic.Int64)
	}
	for _, n := range javaBasicSummaries {
		m.summaries[n] = newSummary(n, false)
	}
	for _, n := range javaAdvancedSummaries {
		m.summaries[n] = newSummary(n, true)
	}
	for _, n := range javaBasicSummarySets {
		m.sets[n] = &SummarySet{name: n, m: map[string]*Summary{}}
	}
	for _, n := range javaAdvancedSummarySets {
		m.sets[n] = &SummarySet{name: n, advanced: true, m: map[string]*Summary{}}
	}
	m.readLat, m.updateLat = m.summaries["readlatency"], m.summaries["updatelatency"]
	m.readNS, m.writeNS = m.sets["read_per_namespace"], m.sets["write_per_namespace"]
	for _, n := range javaCounterSets {
		m.counterSets[n] = &CounterSet{m: map[string]*atomic.Int64{}}
	}
	return m
}

var discard = new(atomic.Int64)

// Counter returns the Java counter called name (a throwaway one for an unknown name).
func (m *Metrics) Counter(name string) *atomic.Int64 {
	if c := m.counters[name]; c != nil {
		return c
	}
	return discard
}

// Summary returns the Java summary called name, or nil.
func (m *Metrics) Summary(name string) *Summary { return m.summaries[name] }

// SummarySet returns the Java summary set called name, or nil.
func (m *Metrics) SummarySet(name string) *SummarySet { return m.sets[name] }

// CounterSet returns the Java counter set called name, or nil.
func (m *Metrics) CounterSet(name string) *CounterSet { return m.counterSets[name] }

// Request is one answered client request, as the node reports it.
type Request struct {
	Op      string        // opcode name (zkgo's wire.Op String), for the zkgo_ histograms
	Write   bool          // a txn (Java: the request had a TxnHeader): updatelatency, else readlatency
	Path    string        // the request's path, "" when it has none
	Bytes   int64         // read: bytes of data or child names returned; write: bytes of data written
	Counted bool          // Path/Bytes count toward read_per_namespace / write_per_namespace
	Latency time.Duration // arrival to reply
}

// ObserveRequest records an answered request: readlatency or updatelatency (ms, as Java's
// ServerStats.updateLatency), read_per_namespace / write_per_namespace (DataTree's
// updateReadStat / updateWriteStat) and the zkgo per-opcode latency histogram.
func (m *Metrics) ObserveRequest(r Request) {
	ms := r.Latency.Milliseconds()
	if r.Write {
		m.updateLat.Add(ms)
	} else {
		m.readLat.Add(ms)
	}
	if r.Counted {
		if ns := topNamespace(r.Path); ns != "" {
			if r.Write {
				m.writeNS.Add(ns, int64(len(r.Path))+r.Bytes)
			} else {
				m.readNS.Add(ns, int64(len(r.Path))+r.Bytes+statOverheadBytes)
			}
		}
	}
	m.extra.request(r.Op, r.Latency)
}

// statOverheadBytes is DataTree.STAT_OVERHEAD_BYTES.
const statOverheadBytes = 6*8 + 5*4

// topNamespace is PathUtils.getTopNamespace: the first path component, "" for "/" (the
// second element of a split at "/", without allocating).
func topNamespace(p string) string {
	_, rest, ok := strings.Cut(p, "/")
	if !ok {
		return ""
	}
	ns, _, _ := strings.Cut(rest, "/")
	return ns
}

// ObserveFsync records one txn-log fsync: Java's fsynctime (ms) and zkgo_fsync_seconds. Its
// signature is storage.Options.ObserveFsync's.
func (m *Metrics) ObserveFsync(d time.Duration) {
	m.summaries["fsynctime"].Add(d.Milliseconds())
	m.extra.fsync.Observe(d.Seconds())
}

// ObserveBatch records one group commit: Java's sync_processor_batch_size and the zkgo_
// batch histograms. Its signature is storage.Options.ObserveBatch's.
func (m *Metrics) ObserveBatch(entries, bytes int) {
	m.summaries["sync_processor_batch_size"].Add(int64(entries))
	m.extra.batchEntries.Observe(float64(entries))
	m.extra.batchBytes.Observe(float64(bytes))
}

// Reset is ServerMetrics.resetAll (srst) for the default provider; a no-op with the
// Prometheus provider (PrometheusMetricsProvider.resetAllValues is not supported).
func (m *Metrics) Reset() {
	if m.Prometheus {
		return
	}
	for _, c := range m.counters {
		c.Store(0)
	}
	for _, s := range m.summaries {
		s.reset()
	}
	// Sets keep their keys, at zero (AvgMinMaxCounterSet.reset).
	for _, s := range m.sets {
		s.each(func(_ string, x *Summary) { x.reset() })
	}
	for _, c := range m.counterSets {
		c.mu.Lock()
		for _, x := range c.m {
			x.Store(0)
		}
		c.mu.Unlock()
	}
}

// gaugeValues maps each Java gauge to its value for this server's role; gauges a role does not
// register are absent.
func gaugeValues(g Gauges, quorum bool) map[string]any {
	st := g.Stats
	v := map[string]any{
		"avg_latency":                 st.AvgLatency,
		"max_latency":                 st.MaxLatency,
		"min_latency":                 st.MinLatency,
		"packets_received":            st.PacketsReceived,
		"packets_sent":                st.PacketsSent,
		"num_alive_connections":       st.NumAliveConnections,
		"outstanding_requests":        st.Outstanding,
		"uptime":                      st.Uptime.Milliseconds(),
		"znode_count":                 g.ZnodeCount,
		"watch_count":                 g.WatchCount,
		"ephemerals_count":            g.EphemeralsCount,
		"approximate_data_size":       g.ApproximateDataSize,
		"global_sessions":             int64(g.GlobalSessions),
		"local_sessions":              int64(g.LocalSessions),
		"open_file_descriptor_count":  g.OpenFileDescriptorCount,
		"max_file_descriptor_count":   g.MaxFileDescriptorCount,
		"connection_drop_probability": 0.0,
		"last_client_response_size":   -1,
		"max_client_response_size":    -1,
		"min_client_response_size":    -1,
		"outstanding_tls_handshake":   0,
		"auth_failed_count":           int64(0),
		"non_mtls_remote_conn_count":  int64(0),
		"non_mtls_local_conn_count":   int64(0),
	}
	if quorum {
		v["quorum_size"] = g.QuorumSize()
	}
	if l := g.Leader; l != nil {
		v["learners"] = l.Learners
		v["synced_followers"] = l.SyncedFollowers
		v["synced_non_voting_followers"] = l.SyncedNonVotingFollowers
		v["synced_observers"] = l.SyncedObservers
		v["pending_syncs"] = l.PendingSyncs
		v["leader_uptime"] = l.LeaderUptime.Milliseconds()
		v["last_proposal_size"] = l.LastProposalSize
		v["max_proposal_size"] = l.MaxProposalSize
		v["min_proposal_size"] = l.MinProposalSize
	}
	return v
}

// ensureLearnerKeys gives the leader's per-learner summary sets an entry for each learner, as
// Java's LearnerHandlers create theirs when they start queueing packets.
func (m *Metrics) ensureLearnerKeys(g Gauges) {
	if g.Leader == nil {
		return
	}
	for _, n := range []string{"learner_handler_qp_size", "learner_handler_qp_time_ms"} {
		set := m.sets[n]
		for _, id := range g.Leader.LearnerIDs {
			set.ensure(strconv.FormatInt(id, 10))
		}
	}
}

// Dump is the metrics provider's dump (MetricsProvider.dump): gauges, gauge sets, counters,
// counter sets, basic summaries, advanced summaries, basic summary sets, advanced summary
// sets, each in Java's order. quorum says whether the server runs in an ensemble.
func (m *Metrics) Dump(g Gauges, quorum bool, sink func(key string, v any)) {
	if m.Prometheus {
		m.dumpPrometheus(g, quorum, sink)
		return
	}
	m.ensureLearnerKeys(g)
	gv := gaugeValues(g, quorum)
	for _, n := range javaGauges {
		if v, ok := gv[n]; ok {
			sink(n, v)
		}
	}
	for _, n := range javaGaugeSets {
		for _, f := range sortedMap(g.gaugeSet(n)) {
			sink(f.Key+"_"+n, f.Val)
		}
	}
	for _, n := range javaCounters {
		sink(n, m.counters[n].Load())
	}
	for _, n := range javaCounterSets {
		for _, f := range sortedMap(m.counterSets[n].snapshot()) {
			sink(f.Key+"_"+n, f.Val)
		}
	}
	for _, n := range javaBasicSummaries {
		m.summaries[n].dump("", sink)
	}
	for _, n := range javaAdvancedSummaries {
		m.summaries[n].dump("", sink)
	}
	for _, n := range append(slices.Clone(javaBasicSummarySets), javaAdvancedSummarySets...) {
		m.sets[n].each(func(key string, s *Summary) { s.dump(key+"_", sink) })
	}
}

// QuorumSize is quorum_size: the number of voting members (0 standalone).
func (g Gauges) QuorumSize() int { return g.Voters }

func (g Gauges) gaugeSet(name string) map[string]int64 {
	switch name {
	case "quota_count_limit_per_namespace":
		return g.QuotaCountLimit
	case "quota_bytes_limit_per_namespace":
		return g.QuotaBytesLimit
	case "quota_count_usage_per_namespace":
		return g.QuotaCountUsage
	case "quota_bytes_usage_per_namespace":
		return g.QuotaBytesUsage
	}
	return nil
}
