package admin_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/zkgo/zkgo/oracle"
	"github.com/zkgo/zkgo/zkgotest"
)

// target is one server under comparison: Java 3.9.3 through the oracle, or zkgo in process.
type target struct {
	name    string
	client  string // host:port
	admin   string // host:port of the AdminServer
	dataDir string // replaced by DATADIR before comparing
}

func (t *target) four(tb testing.TB, word string) string {
	tb.Helper()
	out, err := oracle.FourLetter(t.client, word, 10*time.Second)
	if err != nil {
		tb.Fatalf("%s: %s: %v", t.name, word, err)
	}
	return out
}

type httpReply struct {
	status      int
	contentType string
	hasCT       bool
	body        []byte
}

func (t *target) get(tb testing.TB, method, path string, hdr map[string]string) httpReply {
	tb.Helper()
	req, err := http.NewRequest(method, "http://"+t.admin+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatalf("%s: %s %s: %v", t.name, method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s: %s %s: %v", t.name, method, path, err)
	}
	ct, has := resp.Header["Content-Type"]
	r := httpReply{status: resp.StatusCode, hasCT: has, body: b}
	if has {
		r.contentType = ct[0]
	}
	return r
}

func connect(tb testing.TB, addr string) *zk.Conn {
	tb.Helper()
	c, ev, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				go func() {
					for range ev {
					}
				}()
				return c
			}
		case <-deadline:
			tb.Fatalf("no session with %s", addr)
		}
	}
}

// workload gives a server two sessions with ephemerals, watches of every kind and more than
// 128 txns (so the digest log of hash has an entry). It returns the clients, kept open.
func workload(tb testing.TB, addr string) {
	tb.Helper()
	c1, c2 := connect(tb, addr), connect(tb, addr)
	acl := zk.WorldACL(zk.PermAll)
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatalf("%s: %v", addr, err)
		}
	}
	_, err := c1.Create("/a", []byte("x"), 0, acl)
	must(err)
	_, err = c1.Create("/a/e1", []byte("x"), zk.FlagEphemeral, acl)
	must(err)
	_, err = c2.Create("/a/e2", []byte("yy"), zk.FlagEphemeral, acl)
	must(err)
	for i := 0; i < 140; i++ {
		_, err = c1.Set("/a", []byte(strconv.Itoa(i)), -1)
		must(err)
	}
	_, _, _, err = c1.GetW("/a")
	must(err)
	_, _, _, err = c1.ChildrenW("/a")
	must(err)
	_, _, _, err = c2.ExistsW("/a/e1")
	must(err)
	_, _, _, err = c2.ExistsW("/nope")
	must(err)
	_, err = c2.Sync("/a")
	must(err)
}

func startJava(tb testing.TB, extra ...string) *target {
	tb.Helper()
	s, err := oracle.StartStandalone(tb, oracle.V3_9_3, oracle.Options{AdminServer: true, Extra: extra})
	if err != nil {
		tb.Fatal(err)
	}
	return &target{name: "java", client: s.ClientAddr(), admin: fmt.Sprintf("127.0.0.1:%d", s.AdminPort), dataDir: s.DataDir}
}

func startZkgo(tb testing.TB, opts ...zkgotest.Option) *target {
	tb.Helper()
	ports, err := oracle.FreePorts(1)
	if err != nil {
		tb.Fatal(err)
	}
	all := append([]zkgotest.Option{
		zkgotest.WithConfig("admin.enableServer", "true"),
		zkgotest.WithConfig("admin.serverAddress", "127.0.0.1"),
		zkgotest.WithConfig("admin.serverPort", strconv.Itoa(ports[0])),
	}, opts...)
	s := zkgotest.Start(tb, all...)
	return &target{name: "zkgo", client: s.Addr(), admin: fmt.Sprintf("127.0.0.1:%d", ports[0]), dataDir: s.DataDir}
}

var (
	reVersion = regexp.MustCompile(`3\.9\.3-\S*, built on \d{4}-\d\d-\d\d \d\d:\d\d UTC`)
	reDate    = regexp.MustCompile(`[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d [A-Z]{2,5} \d{4}`)
	reAddr    = regexp.MustCompile(`/?127\.0\.0\.1:\d+`)
	reHex     = regexp.MustCompile(`\b0x[0-9a-f]+\b`)
	reFloat   = regexp.MustCompile(`-?\b\d+\.\d+(E-?\d+)?\b|\bNaN\b`)
	reInt     = regexp.MustCompile(`-?\b\d+\b`)
	reLop     = regexp.MustCompile(`,lop=[A-Z0-9]+,`)                    // the last op depends on timing (a ping)
	reSid     = regexp.MustCompile(`_\d+_(learner_handler|ack_latency)`) // per-learner set keys
)

// normalize replaces what legitimately differs between two servers: versions, dates,
// addresses, the data dir, hex ids, decimals (F) and integers (N).
func (t *target) normalize(s string) string {
	s = strings.ReplaceAll(s, t.dataDir, "DATADIR")
	s = reVersion.ReplaceAllString(s, "VERSION")
	s = reDate.ReplaceAllString(s, "DATE")
	s = reLop.ReplaceAllString(s, ",lop=OP,")
	s = reSid.ReplaceAllString(s, "_N_$1")
	s = reAddr.ReplaceAllString(s, "ADDR")
	s = reHex.ReplaceAllString(s, "H")
	s = reFloat.ReplaceAllString(s, "F")
	s = reInt.ReplaceAllString(s, "N")
	return s
}

// how a four-letter word's lines are compared.
type mode int

const (
	seq   mode = iota // the same lines in the same order
	set               // the same distinct lines (lists whose length and order depend on timing)
	hexes             // "<hex>: <digest>" lines: the hex zxid is bare
)

func lines(s string) []string { return strings.Split(s, "\n") }

func distinct(ls []string) []string {
	m := map[string]bool{}
	for _, l := range ls {
		m[l] = true
	}
	out := make([]string, 0, len(m))
	for l := range m {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

func TestJavaDifferential(t *testing.T) {
	java := startJava(t)
	zkgo := startZkgo(t)
	workload(t, java.client)
	workload(t, zkgo.client)
	time.Sleep(200 * time.Millisecond)

	t.Run("FourLetterWords", func(t *testing.T) {
		words := []struct {
			w string
			m mode
		}{
			{"ruok", seq}, {"isro", seq}, {"gtmk", seq}, {"conf", seq}, {"envi", seq}, {"srvr", seq},
			{"stat", set}, {"cons", set}, {"dump", set}, {"wchs", seq}, {"wchc", set}, {"wchp", set},
			{"mntr", seq}, {"dirs", seq}, {"hash", hexes}, {"crst", seq}, {"srst", seq},
		}
		for _, x := range words {
			t.Run(x.w, func(t *testing.T) {
				j, z := java.four(t, x.w), zkgo.four(t, x.w)
				nj, nz := java.normalize(j), zkgo.normalize(z)
				if x.w == "envi" {
					nj, nz = enviKeys(nj), enviKeys(nz)
				}
				if x.m == hexes {
					nj, nz = hashLines(j), hashLines(z)
				}
				var a, b []string
				switch x.m {
				case seq, hexes:
					a, b = lines(nj), lines(nz)
				case set:
					a, b = distinct(lines(nj)), distinct(lines(nz))
				}
				if !slices.Equal(a, b) {
					t.Errorf("%s differs (normalized; - java, + zkgo):\n%s\n--- java raw:\n%s\n--- zkgo raw:\n%s", x.w, diff(a, b), clip(j), clip(z))
				}
			})
		}
		t.Run("stmk", func(t *testing.T) {
			for _, tg := range []*target{java, zkgo} {
				out, err := stmk(tg.client, 0x1ff)
				if err != nil || out != "511" {
					t.Errorf("%s: stmk 511: %q %v", tg.name, out, err)
				}
				if g := tg.four(t, "gtmk"); g != "511" {
					t.Errorf("%s: gtmk after stmk: %q", tg.name, g)
				}
				stmk(tg.client, 306)
			}
		})
	})

	t.Run("AdminServer", func(t *testing.T) {
		type req struct {
			method, path string
			hdr          map[string]string
		}
		reqs := []req{
			{"GET", "/commands", nil}, {"GET", "/commands/", nil}, {"GET", "/commands/nope", nil},
			{"GET", "/", nil}, {"GET", "/commands/set_trace_mask?traceMask=x", nil},
			{"GET", "/commands/set_trace_mask?traceMask=306", nil}, {"GET", "/commands/snapshot", nil},
			{"POST", "/commands/restore", nil}, {"GET", "/commands/conf", nil}, {"GET", "/commands/wchs", nil},
		}
		for _, c := range commandNames(t, java) {
			reqs = append(reqs, req{"GET", "/commands/" + c, nil})
		}
		for _, r := range reqs {
			t.Run(r.method+" "+r.path, func(t *testing.T) {
				j, z := java.get(t, r.method, r.path, r.hdr), zkgo.get(t, r.method, r.path, r.hdr)
				if j.status != z.status {
					t.Errorf("status: java %d, zkgo %d\njava: %s\nzkgo: %s", j.status, z.status, clip(string(j.body)), clip(string(z.body)))
				}
				if j.status == http.StatusNotFound {
					return // Jetty's error page
				}
				if j.hasCT != z.hasCT || j.contentType != z.contentType {
					t.Errorf("Content-Type: java %q (%v), zkgo %q (%v)", j.contentType, j.hasCT, z.contentType, z.hasCT)
				}
				if !strings.HasPrefix(j.contentType, "application/json") {
					if !bytes.Equal(j.body, z.body) {
						t.Errorf("body differs:\njava:\n%s\nzkgo:\n%s", j.body, z.body)
					}
					return
				}
				if r.path == "/commands/system_properties" {
					compareSysProps(t, java, zkgo, j.body, z.body)
					return
				}
				sj, err := shape(j.body, java)
				if err != nil {
					t.Fatalf("java JSON: %v\n%s", err, j.body)
				}
				sz, err := shape(z.body, zkgo)
				if err != nil {
					t.Fatalf("zkgo JSON: %v\n%s", err, z.body)
				}
				if sj != sz {
					t.Errorf("JSON shape differs (- java, + zkgo):\n%s\n--- java raw:\n%s\n--- zkgo raw:\n%s", diff(strings.Split(sj, ","), strings.Split(sz, ",")), clip(string(j.body)), clip(string(z.body)))
				}
				// Not compared: monitor, environment and initial_configuration (their values differ
				// by design), and dump, whose expiry_time_to_session_ids groups the two sessions in
				// one tick bucket or two depending on when each was last touched (timing, not
				// format: a flake seen once in CI).
				if jl, zl := jacksonLayout(j.body, java), jacksonLayout(z.body, zkgo); !slices.Equal(jl, zl) && r.path != "/commands/monitor" && r.path != "/commands/environment" && r.path != "/commands/initial_configuration" && r.path != "/commands/dump" {
					t.Errorf("Jackson layout differs (- java, + zkgo):\n%s", diff(jl, zl))
				}
			})
		}
	})

	t.Run("Prometheus", func(t *testing.T) {
		ports, err := oracle.FreePorts(1)
		if err != nil {
			t.Fatal(err)
		}
		srv := zkgotest.Start(t,
			zkgotest.WithConfig("metricsProvider.className", "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"),
			zkgotest.WithConfig("metricsProvider.httpHost", "127.0.0.1"),
			zkgotest.WithConfig("metricsProvider.httpPort", strconv.Itoa(ports[0])))
		workload(t, srv.Addr())
		want := javaFamilies(t, java.four(t, "mntr"))
		got := scrape(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[0]))
		names := make([]string, 0, len(want))
		for n := range want {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			w := want[n]
			f, ok := got[n]
			if !ok {
				t.Errorf("metric %s (%s) missing", n, w.kind)
				continue
			}
			if f.GetType() != w.kind {
				t.Errorf("metric %s: type %s, want %s", n, f.GetType(), w.kind)
			}
			if f.GetHelp() != n {
				t.Errorf("metric %s: help %q, want the name (as Java's provider)", n, f.GetHelp())
			}
			keys := map[string]bool{}
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() != "key" {
						t.Errorf("metric %s: label %q, want only \"key\"", n, l.GetName())
					}
					keys[l.GetValue()] = true
				}
				if w.kind == dto.MetricType_SUMMARY {
					var qs []float64
					for _, q := range m.GetSummary().GetQuantile() {
						qs = append(qs, q.GetQuantile())
					}
					wantQ := []float64{0.5}
					if w.advanced {
						wantQ = []float64{0.5, 0.9, 0.99}
					}
					if !slices.Equal(qs, wantQ) {
						t.Errorf("metric %s: quantiles %v, want %v", n, qs, wantQ)
					}
				}
			}
			for k := range w.keys {
				if !keys[k] {
					t.Errorf("metric %s: no sample with key=%q", n, k)
				}
			}
		}
		for _, n := range []string{"zkgo_request_latency_seconds", "zkgo_fsyncs_total", "zkgo_group_commits_total", "zkgo_txnlog_appends_total", "process_open_fds", "go_goroutines"} {
			if _, ok := got[n]; !ok {
				t.Errorf("metric %s missing", n)
			}
		}
		if h := got["zkgo_request_latency_seconds"]; h != nil {
			ops := map[string]bool{}
			for _, m := range h.GetMetric() {
				for _, l := range m.GetLabel() {
					ops[l.GetValue()] = true
				}
			}
			if !ops["setData"] && !ops["SetData"] {
				t.Errorf("zkgo_request_latency_seconds has no setData series: %v", ops)
			}
		}
		if f := got["zkgo_txnlog_appends_total"]; f != nil && f.GetMetric()[0].GetCounter().GetValue() < 140 {
			t.Errorf("zkgo_txnlog_appends_total = %v, want at least the workload's 143 txns", f.GetMetric()[0].GetCounter().GetValue())
		}
		if rl := got["readlatency"]; rl == nil || rl.GetMetric()[0].GetSummary().GetSampleCount() == 0 {
			t.Errorf("readlatency has no observations")
		}
		if ul := got["updatelatency"]; ul == nil || ul.GetMetric()[0].GetSummary().GetSampleCount() < 140 {
			t.Errorf("updatelatency counts fewer than the 140 setData of the workload")
		}
	})
}

func clip(s string) string {
	if len(s) > 1500 {
		return s[:1500] + "..."
	}
	return s
}

// diff lists the lines only in a (-) or only in b (+), in order (a longest-common-subsequence
// diff).
func diff(a, b []string) string {
	n, m := len(a), len(b)
	l := make([][]int, n+1)
	for i := range l {
		l[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			i, j = i+1, j+1
		case j < m && (i == n || l[i][j+1] >= l[i+1][j]):
			out = append(out, "+ "+b[j])
			j++
		default:
			out = append(out, "- "+a[i])
			i++
		}
	}
	return strings.Join(out, "\n")
}

func enviKeys(s string) string {
	var out []string
	for _, l := range lines(s) {
		k, _, _ := strings.Cut(l, "=")
		out = append(out, k)
	}
	return strings.Join(out, "\n")
}

// hashLines normalizes hash's "<hex zxid>: <digest>" lines.
func hashLines(s string) string {
	re := regexp.MustCompile(`^[0-9a-f]+: -?\d+$`)
	var out []string
	for _, l := range lines(s) {
		if re.MatchString(l) {
			l = "H: N"
		}
		out = append(out, l)
	}
	return strings.Join(distinct(out), "\n")
}

// stmk sends stmk and the 8-byte mask.
func stmk(addr string, mask int64) (string, error) {
	c, err := netDial(addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	b := []byte("stmk")
	b = append(b, byte(mask>>56), byte(mask>>48), byte(mask>>40), byte(mask>>32), byte(mask>>24), byte(mask>>16), byte(mask>>8), byte(mask))
	if _, err := c.Write(b); err != nil {
		return "", err
	}
	out, err := io.ReadAll(c)
	return string(out), err
}

func commandNames(tb testing.TB, java *target) []string {
	r := java.get(tb, "GET", "/commands", nil)
	re := regexp.MustCompile(`<a href="/commands/([a-z_]+)">`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(r.body), -1) {
		out = append(out, m[1])
	}
	if len(out) < 20 {
		tb.Fatalf("java lists only %d commands:\n%s", len(out), r.body)
	}
	return out
}

// exactKeys are fields whose string values must be equal after normalization.
var exactKeys = map[string]bool{"command": true, "error": true, "server_state": true, "zabstate": true, "learner_type": true}

// shape renders a JSON document with its keys in order and its values reduced to their type:
// N (integer), F (decimal), S (string), true/false/null; objects whose keys are data (ids,
// paths, times) and arrays become sets of distinct entries.
func shape(b []byte, t *target) (string, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := parseOrdered(d)
	if err != nil {
		return "", err
	}
	return shapeOf(v, "", t), nil
}

type kv struct {
	k string
	v any
}

func parseOrdered(d *json.Decoder) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch x := tok.(type) {
	case json.Delim:
		switch x {
		case '{':
			var o []kv
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				v, err := parseOrdered(d)
				if err != nil {
					return nil, err
				}
				o = append(o, kv{kt.(string), v})
			}
			_, err := d.Token()
			return o, err
		case '[':
			a := []any{}
			for d.More() {
				v, err := parseOrdered(d)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := d.Token()
			return a, err
		}
	}
	return tok, nil
}

func shapeOf(v any, key string, t *target) string {
	switch x := v.(type) {
	case []kv:
		var parts []string
		// Jackson writes a bean's properties (server_stats) in reflection order, which
		// varies between JVM runs: compare them as a set.
		dataKeys := key == "server_stats" || key == "quorum_address" || key == "election_address"
		for _, e := range x {
			if a, ok := e.v.([]any); ok && len(a) == 0 && t.normalize(e.k) != e.k {
				// Java's ExpiryQueue and WatchManager leave empty sets behind.
				continue
			}
			if strings.Contains(e.k, "learner_handler_qp_time_ms") {
				// Java creates a learner's entry once a queued packet was sent to it (timing).
				continue
			}
			nk := t.normalize(e.k)
			if nk != e.k || strings.HasPrefix(e.k, "/") {
				dataKeys = true
			}
			if strings.HasPrefix(e.k, "/") {
				nk = "PATH"
			}
			parts = append(parts, strconv.Quote(nk)+":"+shapeOf(e.v, e.k, t))
		}
		if dataKeys {
			parts = distinct(parts)
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, shapeOf(e, key, t))
		}
		return "[" + strings.Join(distinct(parts), ",") + "]"
	case json.Number:
		if strings.ContainsAny(string(x), ".E") {
			return "F"
		}
		return "N"
	case string:
		if exactKeys[key] {
			return strconv.Quote(t.normalize(x))
		}
		return "S"
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	}
	return fmt.Sprintf("?%T", v)
}

// jacksonLayout is the text layout of a pretty-printed JSON document with every scalar
// replaced: the indentation, " : " separators, inline arrays and line breaks must match
// Jackson's. Lists whose length depends on the data are deduplicated.
func jacksonLayout(b []byte, t *target) []string {
	s := string(b)
	s = regexp.MustCompile(`"(\\.|[^"\\])*"`).ReplaceAllString(s, `"S"`)
	s = t.normalize(s)
	var out []string
	for _, l := range lines(s) {
		if strings.TrimSpace(l) == `"S" : [ ],` || strings.TrimSpace(l) == `"S" : [ ]` {
			continue // an empty set Java leaves behind
		}
		out = append(out, strings.TrimSuffix(l, ","))
	}
	return distinct(out)
}

func compareSysProps(t *testing.T, java, zkgo *target, jb, zb []byte) {
	t.Helper()
	var j, z map[string]any
	if err := json.Unmarshal(jb, &j); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(zb, &z); err != nil {
		t.Fatal(err)
	}
	for k := range z {
		if _, ok := j[k]; !ok {
			t.Errorf("zkgo system property %q is not one Java has", k)
		}
	}
	for k, v := range j {
		if strings.HasPrefix(k, "zookeeper.") && k != "zookeeper.jmx.log4j.disable" && k != "zookeeper.admin.serverPort" {
			if z[k] != v {
				t.Errorf("system property %s: java %v, zkgo %v", k, v, z[k])
			}
		}
		for _, must := range []string{"java.version", "os.name", "os.arch", "user.dir", "line.separator", "command", "error"} {
			if k == must {
				if _, ok := z[k]; !ok {
					t.Errorf("zkgo has no system property %s", k)
				}
			}
		}
	}
}

type wantFamily struct {
	kind     dto.MetricType
	advanced bool
	keys     map[string]bool
}

// summarySets are Java's summary and counter/gauge sets: in mntr their entries are
// "<key>_<set>".
var summarySets = []string{"read_per_namespace", "write_per_namespace", "learner_handler_qp_size", "learner_handler_qp_time_ms", "ack_latency"}

// javaFamilies turns Java's mntr (DefaultMetricsProvider) into the Prometheus families
// PrometheusMetricsProvider exports for the same metrics: gauges and counters keep their
// names, avg_/min_/max_/cnt_/sum_ groups become summaries (ADVANCED when p50_ is there),
// "<key>_<set>" entries become samples of the set with label key.
func javaFamilies(tb testing.TB, mntr string) map[string]wantFamily {
	vals := map[string]string{}
	var order []string
	for _, l := range lines(strings.TrimSpace(mntr)) {
		k, v, ok := strings.Cut(l, "\t")
		if !ok {
			tb.Fatalf("mntr line %q", l)
		}
		k = strings.TrimPrefix(k, "zk_")
		vals[k] = v
		order = append(order, k)
	}
	out := map[string]wantFamily{}
	summaries := map[string]bool{}
	for _, k := range order {
		if rest, ok := strings.CutPrefix(k, "avg_"); ok {
			summaries[rest] = true
		}
	}
	for _, k := range order {
		switch k {
		case "version", "server_state", "peer_state":
			continue
		}
		var name string
		for _, p := range []string{"avg_", "min_", "max_", "cnt_", "sum_", "p50_", "p95_", "p99_", "p999_"} {
			if r, ok := strings.CutPrefix(k, p); ok && summaries[r] && vals["cnt_"+r] != "" {
				name = r
			}
		}
		if name == "" {
			kind := dto.MetricType_GAUGE
			if !strings.Contains(vals[k], ".") && isCounter(k) {
				kind = dto.MetricType_COUNTER
			}
			out[k] = wantFamily{kind: kind}
			continue
		}
		key := ""
		for _, set := range summarySets {
			k, ok := strings.CutSuffix(name, "_"+set)
			if !ok || k == "" {
				continue
			}
			// Namespaces key the per-namespace sets; server ids key the others.
			if strings.HasSuffix(set, "_per_namespace") || regexp.MustCompile(`^\d+$`).MatchString(k) {
				key, name = k, set
			}
		}
		f := out[name]
		f.kind = dto.MetricType_SUMMARY
		if _, ok := vals["p50_"+k[strings.Index(k, "_")+1:]]; ok {
			f.advanced = true
		}
		if key != "" {
			if f.keys == nil {
				f.keys = map[string]bool{}
			}
			f.keys[key] = true
		}
		out[name] = f
	}
	return out
}

// isCounter tells Java's counters from its gauges (ServerMetrics counters vs the gauges
// registered by ZooKeeperServer), by the gauges' names.
func isCounter(k string) bool {
	gauges := "avg_latency max_latency min_latency packets_received packets_sent num_alive_connections outstanding_requests uptime znode_count watch_count ephemerals_count approximate_data_size global_sessions local_sessions open_file_descriptor_count max_file_descriptor_count connection_drop_probability last_client_response_size max_client_response_size min_client_response_size outstanding_tls_handshake auth_failed_count non_mtls_remote_conn_count non_mtls_local_conn_count quorum_size"
	return !slices.Contains(strings.Fields(gauges), k)
}

func scrape(tb testing.TB, url string) map[string]*dto.MetricFamily {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		tb.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		tb.Fatalf("parsing %s: %v", url, err)
	}
	return fams
}

func netDial(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, 10*time.Second) }

// TestJavaWhitelist runs every word against servers whose whitelist is "ruok, mntr": srvr
// stays on (zkServer.sh needs it), the others answer "<word> is not executed because it is
// not in the whitelist.", and an unknown word in the list changes nothing.
func TestJavaWhitelist(t *testing.T) {
	java := startJava(t, "4lw.commands.whitelist=ruok, mntr ,bogus")
	zkgo := startZkgo(t, zkgotest.WithConfig("4lw.commands.whitelist", "ruok, mntr ,bogus"))
	for _, w := range []string{"conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srst", "srvr", "stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash"} {
		j, z := java.four(t, w), zkgo.four(t, w)
		jn, zn := java.normalize(j), zkgo.normalize(z)
		if w == "mntr" {
			jn, zn = strings.Join(distinct(lines(jn))[:3], "\n"), strings.Join(distinct(lines(zn))[:3], "\n")
		}
		if jn != zn {
			t.Errorf("%s: java %q, zkgo %q", w, clip(j), clip(z))
		}
	}
	// And the AdminServer ignores the whitelist.
	for _, tg := range []*target{java, zkgo} {
		if r := tg.get(t, "GET", "/commands/stat", nil); r.status != 200 || !bytes.Contains(r.body, []byte(`"command" : "stats"`)) {
			t.Errorf("%s: /commands/stat with a 4lw whitelist: %d %s", tg.name, r.status, clip(string(r.body)))
		}
	}
}
