package admin

import (
	"math"
	"net/http"
	"strings"
	"testing"
)

func TestJavaDouble(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{0, "0.0"}, {1, "1.0"}, {1.25, "1.25"}, {4.3243, "4.3243"}, {-2.5, "-2.5"},
		{1e7, "1.0E7"}, {12345678.9, "1.23456789E7"}, {0.001, "0.001"}, {0.0001, "1.0E-4"},
		{1.5e-5, "1.5E-5"}, {math.NaN(), "NaN"}, {math.Inf(1), "Infinity"}, {9999999, "9999999.0"},
	} {
		if got := JavaDouble(c.f); got != c.want {
			t.Errorf("JavaDouble(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}

func TestRound4(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{{1.91334, 1.9133}, {1.91335, 1.9134}, {2.0 / 3, 0.6667}, {0, 0}} {
		if got := round4(c.in); got != c.want {
			t.Errorf("round4(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// TestMarshalJackson pins Jackson's DefaultPrettyPrinter layout, as the AdminServer prints it.
func TestMarshalJackson(t *testing.T) {
	v := Obj{
		{"connections", []any{Obj{{"a", 1}, {"b", "x"}}, Obj{{"a", 2}, {"b", "y"}}}},
		{"secure_connections", []any{}},
		{"current_config", Obj{}},
		{"paths", []string{"/a", "/b"}},
		{"avg", 0.0},
		{"text", "tab\there \"quoted\" /slash <tag> ünï\n"},
		{"command", "x"},
		{"error", nil},
	}
	want := `{
  "connections" : [ {
    "a" : 1,
    "b" : "x"
  }, {
    "a" : 2,
    "b" : "y"
  } ],
  "secure_connections" : [ ],
  "current_config" : { },
  "paths" : [ "/a", "/b" ],
  "avg" : 0.0,
  "text" : "tab\there \"quoted\" /slash <tag> ünï\n",
  "command" : "x",
  "error" : null
}`
	if got := string(MarshalJackson(v)); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestResponseMap pins CommandResponse.toMap: data first, then command and error, and an
// "error" data field keeps its place and value.
func TestResponseMap(t *testing.T) {
	r := newResponse("leader")
	r.Data = Obj{{"error", "server is not initialized"}}
	if got := string(MarshalJackson(r.Map())); got != "{\n  \"error\" : \"server is not initialized\",\n  \"command\" : \"leader\"\n}" {
		t.Errorf("got %s", got)
	}
	r = errResponse("nope", "Unknown command: nope", http.StatusOK)
	if got := string(MarshalJackson(r.Map())); got != "{\n  \"command\" : \"nope\",\n  \"error\" : \"Unknown command: nope\"\n}" {
		t.Errorf("got %s", got)
	}
}

func TestSummary(t *testing.T) {
	s := newSummary("x", true)
	for i := int64(1); i <= 100; i++ {
		s.Add(i)
	}
	var keys []string
	vals := map[string]any{}
	s.dump("", func(k string, v any) { keys = append(keys, k); vals[k] = v })
	if strings.Join(keys, " ") != "avg_x min_x max_x cnt_x sum_x p50_x p95_x p99_x p999_x" {
		t.Fatalf("keys %v", keys)
	}
	if vals["avg_x"] != 50.5 || vals["min_x"] != int64(1) || vals["max_x"] != int64(100) || vals["cnt_x"] != int64(100) || vals["sum_x"] != int64(5050) {
		t.Errorf("values %v", vals)
	}
	// Dropwizard's UniformSnapshot: pos = q*(n+1), interpolated.
	if vals["p50_x"] != int64(51) || vals["p99_x"] != int64(100) {
		t.Errorf("percentiles %v", vals)
	}
	s.reset()
	if v := s.Values(); v.Count != 0 || v.Min != 0 || v.Max != 0 || v.Avg != 0 {
		t.Errorf("after reset %+v", v)
	}
}

// TestMetricsOrder checks that the default provider's dump has every Java name exactly once,
// gauges first, in names.go's order.
func TestMetricsOrder(t *testing.T) {
	m := NewMetrics()
	m.ObserveRequest(Request{Op: "getData", Path: "/ns/x", Bytes: 3, Counted: true})
	var keys []string
	seen := map[string]bool{}
	m.Dump(Gauges{}, false, func(k string, _ any) {
		if seen[k] {
			t.Errorf("key %s twice", k)
		}
		seen[k] = true
		keys = append(keys, k)
	})
	if keys[0] != "ephemerals_count" || keys[len(keys)-1] != "sum_ns_read_per_namespace" {
		t.Errorf("first %s, last %s", keys[0], keys[len(keys)-1])
	}
	// 24 standalone gauges, 51 counters, 42 basic (5 keys) and 23 advanced (9 keys)
	// summaries, one summary-set entry.
	if want := 24 + 51 + 42*5 + 23*9 + 5; len(keys) != want {
		t.Errorf("%d keys, want %d", len(keys), want)
	}
	m.Reset()
	if m.Summary("readlatency").Values().Count != 0 {
		t.Errorf("reset kept readlatency")
	}
}

// TestPrometheusDump pins mntr with the Prometheus provider: one line per sample, name{labels}
// (PrometheusMetricsProvider.buildKeyForDump), values as Java doubles.
func TestPrometheusDump(t *testing.T) {
	m := NewMetrics()
	m.Prometheus = true
	m.ObserveRequest(Request{Op: "getData", Path: "/ns/x", Bytes: 3, Counted: true})
	got := map[string]any{}
	var order []string
	m.Dump(Gauges{ZnodeCount: 5}, false, func(k string, v any) { got[k] = v; order = append(order, k) })
	for k, want := range map[string]string{
		"znode_count":                                 "5.0",
		"watch_bytes":                                 "0.0",
		`readlatency{quantile="0.5"}`:                 "0.0",
		`readlatency{quantile="0.99"}`:                "0.0",
		"readlatency_count":                           "1.0",
		`fsynctime{quantile="0.5"}`:                   "NaN",
		"fsynctime_sum":                               "0.0",
		`read_per_namespace{key="ns",quantile="0.5"}`: "76.0",
		`read_per_namespace_count{key="ns"}`:          "1.0",
	} {
		v, ok := got[k]
		if !ok {
			t.Errorf("no key %s", k)
			continue
		}
		if s := mntrValue(v); s != want {
			t.Errorf("%s = %s, want %s", k, s, want)
		}
	}
	m.Reset() // not supported by the Prometheus provider: a no-op
	if m.Summary("readlatency").Values().Count != 1 {
		t.Errorf("srst reset a Prometheus summary")
	}
}
