package proxy

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkgo/zkgo/oracle"
)

// BenchmarkProxyOverhead measures get and set through the proxy against the same requests
// sent straight to the same Java 3.9.3 standalone server, in one run: throughput and
// p50/p99 latency of synchronous requests from 1 and 16 sessions, 100-byte values, and the
// proxy/direct ratios. Each iteration is 8 alternating 400 ms rounds per path.
//
//	go test ./proxy -run '^$' -bench ProxyOverhead -benchtime 1x -v
func BenchmarkProxyOverhead(b *testing.B) {
	srv, err := oracle.StartStandalone(b, "3.9.3", oracle.Options{})
	if err != nil {
		b.Fatalf("start Java: %v", err)
	}
	p, err := Start(Config{Listen: "127.0.0.1:0", Upstreams: []string{srv.ClientAddr()}, MetricsAddr: "127.0.0.1:0", Logger: testLogger(b)})
	if err != nil {
		b.Fatalf("start proxy: %v", err)
	}
	defer p.Close()
	paths := map[string]string{"direct": srv.ClientAddr(), "proxy": p.Addr().String()}
	const maxClients = 16
	conns := map[string][]*zk.Conn{}
	for name, addr := range paths {
		for i := 0; i < maxClients; i++ {
			c, _ := connectZK(b, addr, 30*time.Second)
			c.SetLogger(nopLogger{})
			conns[name] = append(conns[name], c)
		}
	}
	value := make([]byte, 100)
	c0 := conns["direct"][0]
	for i := 0; i < maxClients; i++ {
		if _, err := c0.Create(fmt.Sprintf("/bench-%d", i), value, 0, zk.WorldACL(zk.PermAll)); err != nil && err != zk.ErrNodeExists {
			b.Fatalf("create: %v", err)
		}
	}
	ops := map[string]func(c *zk.Conn, path string) error{
		"get": func(c *zk.Conn, path string) error { _, _, err := c.Get(path); return err },
		"set": func(c *zk.Conn, path string) error { _, err := c.Set(path, value, -1); return err },
	}
	// Warm the JIT on both paths.
	for _, name := range []string{"direct", "proxy"} {
		for i := 0; i < 3000; i++ {
			ops["get"](conns[name][0], "/bench-0")
			ops["set"](conns[name][0], "/bench-0")
		}
	}

	// Direct and proxied phases alternate (rounds of phaseLen each) so that both paths see
	// the same machine load; each sub-benchmark reports both paths and their ratios.
	const rounds, phaseLen = 8, 400 * time.Millisecond
	for _, op := range []string{"get", "set"} {
		for _, clients := range []int{1, maxClients} {
			b.Run(fmt.Sprintf("%s/clients=%d", op, clients), func(b *testing.B) {
				lat := map[string][]time.Duration{}
				busy := map[string]time.Duration{}
				for r := 0; r < rounds*b.N; r++ {
					for _, path := range []string{"direct", "proxy"} {
						l, d, err := phase(conns[path][:clients], ops[op], phaseLen)
						if err != nil {
							b.Fatalf("%s %s: %v", op, path, err)
						}
						lat[path] = append(lat[path], l...)
						busy[path] += d
					}
				}
				res := map[string][3]float64{}
				for path, l := range lat {
					slices.Sort(l)
					res[path] = [3]float64{float64(len(l)) / busy[path].Seconds(), us(l[len(l)/2]), us(l[len(l)*99/100])}
				}
				d, x := res["direct"], res["proxy"]
				b.ReportMetric(d[0], "direct-ops/s")
				b.ReportMetric(x[0], "proxy-ops/s")
				b.ReportMetric(d[2], "direct-p99-µs")
				b.ReportMetric(x[2], "proxy-p99-µs")
				b.ReportMetric(x[0]/d[0], "throughput-ratio")
				b.ReportMetric(x[2]/d[2], "p99-ratio")
				b.Logf("%s, %2d clients: throughput proxy/direct %.2f (%.0f vs %.0f ops/s); p99 proxy/direct %.2f (%.0f vs %.0f µs); p50 %.0f vs %.0f µs",
					op, clients, x[0]/d[0], x[0], d[0], x[2]/d[2], x[2], d[2], x[1], d[1])
			})
		}
	}
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

// phase runs op synchronously on every connection (each on its own node) for about d and
// returns every latency and the phase's wall time.
func phase(conns []*zk.Conn, op func(*zk.Conn, string) error, d time.Duration) ([]time.Duration, time.Duration, error) {
	lat := make([][]time.Duration, len(conns))
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(d)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := fmt.Sprintf("/bench-%d", i)
			for time.Now().Before(stop) {
				t0 := time.Now()
				if errs[i] = op(c, node); errs[i] != nil {
					return
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	return slices.Concat(lat...), time.Since(start), errors.Join(errs...)
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
