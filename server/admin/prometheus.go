package admin

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// extraMetrics are zkgo's own Prometheus metrics, all named zkgo_*.
type extraMetrics struct {
	reqLatency   *prometheus.HistogramVec
	reqByOp      sync.Map // op name -> prometheus.Observer of reqLatency
	fsync        prometheus.Histogram
	batchEntries prometheus.Histogram
	batchBytes   prometheus.Histogram
}

func newExtraMetrics() *extraMetrics {
	return &extraMetrics{
		reqLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "zkgo_request_latency_seconds",
			Help:    "Latency of answered client requests, from arrival to reply, by opcode.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18), // 100µs .. 13s
		}, []string{"op"}),
		fsync: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "zkgo_fsync_seconds",
			Help:    "Duration of each txn-log fsync (one per group commit).",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2, 18),
		}),
		batchEntries: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "zkgo_group_commit_entries",
			Help:    "Txns written per group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}),
		batchBytes: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "zkgo_group_commit_bytes",
			Help:    "Bytes written per group commit.",
			Buckets: prometheus.ExponentialBuckets(64, 4, 12),
		}),
	}
}

func (e *extraMetrics) request(op string, d time.Duration) {
	o, ok := e.reqByOp.Load(op)
	if !ok {
		o, _ = e.reqByOp.LoadOrStore(op, e.reqLatency.WithLabelValues(op))
	}
	o.(prometheus.Observer).Observe(d.Seconds())
}

type famKind int

const (
	famGauge famKind = iota
	famCounter
	famSummary
)

// family is one Prometheus metric family of a Java name, as PrometheusMetricsProvider
// exports it: help text = name, label "key" for the sets, summaries with quantile 0.5 (BASIC)
// or 0.5, 0.9, 0.99 (ADVANCED).
type family struct {
	name      string
	kind      famKind
	labeled   bool
	quantiles []float64
	metrics   []famMetric
}

type famMetric struct {
	key   string
	value float64 // gauge, counter
	count uint64  // summary
	sum   float64
	q     map[float64]float64
}

var (
	basicQuantiles    = []float64{0.5}
	advancedQuantiles = []float64{0.5, 0.9, 0.99}
)

func summaryMetric(key string, s *Summary, qs []float64) famMetric {
	v := s.Values()
	m := famMetric{key: key, count: uint64(v.Count), sum: float64(v.Sum), q: map[float64]float64{}}
	for _, q := range qs {
		if v.Count == 0 {
			m.q[q] = math.NaN()
		} else {
			m.q[q] = v.Quantile(q)
		}
	}
	return m
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// families lists the Java metric families with their current values.
func (m *Metrics) families(g Gauges, quorum bool) []family {
	var out []family
	m.ensureLearnerKeys(g)
	gv := gaugeValues(g, quorum)
	for _, n := range javaGauges {
		if v, ok := gv[n]; ok {
			out = append(out, family{name: n, kind: famGauge, metrics: []famMetric{{value: toFloat(v)}}})
		}
	}
	for _, n := range javaGaugeSets {
		f := family{name: n, kind: famGauge, labeled: true}
		for _, kv := range sortedMap(g.gaugeSet(n)) {
			f.metrics = append(f.metrics, famMetric{key: kv.Key, value: toFloat(kv.Val)})
		}
		out = append(out, f)
	}
	for _, n := range javaCounters {
		out = append(out, family{name: n, kind: famCounter, metrics: []famMetric{{value: float64(m.counters[n].Load())}}})
	}
	for _, n := range javaCounterSets {
		f := family{name: n, kind: famCounter, labeled: true}
		for _, kv := range sortedMap(m.counterSets[n].snapshot()) {
			f.metrics = append(f.metrics, famMetric{key: kv.Key, value: float64(kv.Val.(int64))})
		}
		out = append(out, f)
	}
	for _, n := range append(slices.Clone(javaBasicSummaries), javaAdvancedSummaries...) {
		s := m.summaries[n]
		qs := basicQuantiles
		if s.advanced {
			qs = advancedQuantiles
		}
		out = append(out, family{name: n, kind: famSummary, quantiles: qs, metrics: []famMetric{summaryMetric("", s, qs)}})
	}
	for _, n := range append(slices.Clone(javaBasicSummarySets), javaAdvancedSummarySets...) {
		set := m.sets[n]
		qs := basicQuantiles
		if set.advanced {
			qs = advancedQuantiles
		}
		f := family{name: n, kind: famSummary, labeled: true, quantiles: qs}
		set.each(func(key string, s *Summary) { f.metrics = append(f.metrics, summaryMetric(key, s, qs)) })
		out = append(out, f)
	}
	return out
}

// dumpPrometheus is PrometheusMetricsProvider.dump: one key per sample, name{labels}.
func (m *Metrics) dumpPrometheus(g Gauges, quorum bool, sink func(string, any)) {
	for _, f := range m.families(g, quorum) {
		for _, x := range f.metrics {
			lbl := ""
			if f.labeled {
				lbl = `key="` + x.key + `"`
			}
			wrap := func(extra string) string {
				l := lbl
				if extra != "" {
					if l != "" {
						l += ","
					}
					l += extra
				}
				if l == "" {
					return ""
				}
				return "{" + l + "}"
			}
			if f.kind != famSummary {
				sink(f.name+wrap(""), x.value)
				continue
			}
			for _, q := range f.quantiles {
				sink(f.name+wrap(`quantile="`+strconv.FormatFloat(q, 'g', -1, 64)+`"`), x.q[q])
			}
			sink(f.name+"_count"+wrap(""), float64(x.count))
			sink(f.name+"_sum"+wrap(""), x.sum)
		}
	}
}

// collector exports the Java families at scrape time.
type collector struct {
	m      *Metrics
	b      Backend
	quorum bool
}

func (c *collector) Describe(chan<- *prometheus.Desc) {} // unchecked: label values vary

var storageDescs = struct {
	appends, appendBytes, batches, batchMax, fsyncs, fsyncSeconds, fsyncMax, rolls, snaps, snapSeconds, snapBytes, queued *prometheus.Desc
}{
	appends:      prometheus.NewDesc("zkgo_txnlog_appends_total", "Txns written to the txn log.", nil, nil),
	appendBytes:  prometheus.NewDesc("zkgo_txnlog_bytes_total", "Bytes written to the txn log.", nil, nil),
	batches:      prometheus.NewDesc("zkgo_group_commits_total", "Group commits (one write and fsync each).", nil, nil),
	batchMax:     prometheus.NewDesc("zkgo_group_commit_max_entries", "The most txns in one group commit.", nil, nil),
	fsyncs:       prometheus.NewDesc("zkgo_fsyncs_total", "Txn-log fsyncs.", nil, nil),
	fsyncSeconds: prometheus.NewDesc("zkgo_fsync_seconds_total", "Time spent in txn-log fsyncs.", nil, nil),
	fsyncMax:     prometheus.NewDesc("zkgo_fsync_max_seconds", "The longest txn-log fsync.", nil, nil),
	rolls:        prometheus.NewDesc("zkgo_txnlog_rolls_total", "Txn-log files started.", nil, nil),
	snaps:        prometheus.NewDesc("zkgo_snapshots_total", "Snapshots written.", nil, nil),
	snapSeconds:  prometheus.NewDesc("zkgo_snapshot_last_seconds", "How long the last snapshot took.", nil, nil),
	snapBytes:    prometheus.NewDesc("zkgo_snapshot_last_bytes", "Size of the last snapshot file.", nil, nil),
	queued:       prometheus.NewDesc("zkgo_txnlog_queued", "Appends waiting for the log writer.", nil, nil),
}

func (c *collector) collectStorage(ch chan<- prometheus.Metric) {
	src, ok := c.b.(StorageSource)
	if !ok {
		return
	}
	st, ok := src.StorageStats()
	if !ok {
		return
	}
	d := storageDescs
	counter := func(desc *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, v)
	}
	gauge := func(desc *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v)
	}
	counter(d.appends, float64(st.Appends))
	counter(d.appendBytes, float64(st.AppendBytes))
	counter(d.batches, float64(st.Batches))
	gauge(d.batchMax, float64(st.BatchMax))
	counter(d.fsyncs, float64(st.Fsyncs))
	counter(d.fsyncSeconds, st.FsyncTotal.Seconds())
	gauge(d.fsyncMax, st.FsyncMax.Seconds())
	counter(d.rolls, float64(st.LogRolls))
	counter(d.snaps, float64(st.Snapshots))
	gauge(d.snapSeconds, st.SnapshotLast.Seconds())
	gauge(d.snapBytes, float64(st.SnapshotBytes))
	gauge(d.queued, float64(st.Queued))
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	c.collectStorage(ch)
	for _, f := range c.m.families(c.b.Gauges(), c.quorum) {
		var labels []string
		if f.labeled {
			labels = []string{"key"}
		}
		desc := prometheus.NewDesc(f.name, f.name, labels, nil)
		for _, x := range f.metrics {
			var lv []string
			if f.labeled {
				lv = []string{x.key}
			}
			switch f.kind {
			case famGauge:
				ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, x.value, lv...)
			case famCounter:
				ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, x.value, lv...)
			case famSummary:
				ch <- prometheus.MustNewConstSummary(desc, x.count, x.sum, x.q, lv...)
			}
		}
	}
}

// PrometheusHandler returns the /metrics handler of the Prometheus provider: the Java
// families, the zkgo_* extras and, when exportRuntime (metricsProvider.exportJvmInfo, default
// true), the Go runtime and process collectors in place of Java's JVM exports.
func (m *Metrics) PrometheusHandler(b Backend, quorum, exportRuntime bool) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&collector{m: m, b: b, quorum: quorum})
	reg.MustRegister(m.extra.reqLatency, m.extra.fsync, m.extra.batchEntries, m.extra.batchBytes)
	if exportRuntime {
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}
