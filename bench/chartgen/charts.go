// Command chartgen draws the PNG charts of a zkgo bench report (gonum/plot) from its JSON:
//
//	go run ./bench/chartgen -json bench/results.json -out bench/charts
//
// It is a separate program so that gonum/plot, its fonts and LaTeX tables stay out of the
// zkgo binary, whose start-up is one of the figures: linked in, they made it 7.4 MB larger
// (24.3 vs 16.9 MB), cost about 150 more page faults per exec (700 vs 550) and 3 to 10 ms of
// package initialisation before main. `zkgo bench -report` names the charts
// (bench.Report.ChartNames) and links them from charts/ beside the report.
package main

import (
	"flag"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"github.com/zkgo/zkgo/bench"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

var (
	colorZkgo = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colorJava = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	colorMore = []color.Color{
		color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
		color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
	}
)

func main() {
	in := flag.String("json", "bench/results.json", "the report written by zkgo bench -json")
	out := flag.String("out", "bench/charts", "folder for the PNG files")
	flag.Parse()
	rep, err := bench.ReadReport(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	files, err := writeCharts(rep, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, f := range files {
		fmt.Println(filepath.Join(*out, f))
	}
}

func isJava(name string) bool { return strings.HasPrefix(name, "java") }

// family names a target's kind across groups: "zkgo" or "Java 3.9.3".
func family(target string) string {
	if isJava(target) {
		v := strings.TrimPrefix(target, "java-")
		if i := strings.IndexByte(v, '-'); i >= 0 {
			v = v[:i]
		}
		return "Java " + v
	}
	if strings.HasPrefix(target, "zkgo") {
		return "zkgo"
	}
	return target
}

func familyColor(f string, i int) color.Color {
	switch {
	case f == "zkgo":
		return colorZkgo
	case strings.HasPrefix(f, "Java"):
		return colorJava
	}
	return colorMore[i%len(colorMore)]
}

// writeCharts draws the PNG charts into dir and returns their file names, the ones
// r.ChartNames lists.
func writeCharts(r *bench.Report, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	save := func(name string, err error) error {
		if err != nil {
			return fmt.Errorf("bench: chart %s: %w", name, err)
		}
		files = append(files, name)
		return nil
	}
	sums := r.Summaries()
	if len(sums) > 0 {
		name := "compare-throughput.png"
		if err := save(name, barChart(filepath.Join(dir, name), "Throughput, side by side (mean over rounds)", "ops/s", sums, false,
			func(s bench.Summary) float64 { return s.Throughput })); err != nil {
			return files, err
		}
		name = "compare-p99.png"
		if err := save(name, barChart(filepath.Join(dir, name), "p99 latency (mean over rounds; @rate: equal offered load)", "p99 ms", sums, true,
			func(s bench.Summary) float64 { return s.Latency.P99 })); err != nil {
			return files, err
		}
	}
	var groups []string
	seen := map[string]bool{}
	for _, res := range r.Results {
		if !seen[res.Group] {
			seen[res.Group] = true
			groups = append(groups, res.Group)
		}
	}
	for _, g := range groups {
		name := "timeline-" + strings.ReplaceAll(g, ":", "_") + ".png"
		if err := save(name, timelineChart(r, filepath.Join(dir, name), g)); err != nil {
			return files, err
		}
	}
	if len(r.Latencies) > 0 {
		name := "zk-latencies.png"
		if err := save(name, latenciesChart(r, filepath.Join(dir, name))); err != nil {
			return files, err
		}
	}
	return files, nil
}

// barChart groups bars by "group workload", one bar per target family.
func barChart(path, title, ylabel string, sums []bench.Summary, withPaced bool, value func(bench.Summary) float64) error {
	var cats []string
	catIdx := map[string]int{}
	var fams []string
	famIdx := map[string]int{}
	for _, s := range sums {
		if !withPaced && s.Rate > 0 {
			continue
		}
		c := s.Group + "\n" + s.Workload
		if _, ok := catIdx[c]; !ok {
			catIdx[c] = len(cats)
			cats = append(cats, c)
		}
		f := family(s.Target)
		if _, ok := famIdx[f]; !ok {
			famIdx[f] = len(fams)
			fams = append(fams, f)
		}
	}
	vals := make([]plotter.Values, len(fams))
	for i := range vals {
		vals[i] = make(plotter.Values, len(cats))
	}
	for _, s := range sums {
		if !withPaced && s.Rate > 0 {
			continue
		}
		vals[famIdx[family(s.Target)]][catIdx[s.Group+"\n"+s.Workload]] = value(s)
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	top := 0.0
	for _, vs := range vals {
		for _, v := range vs {
			top = max(top, v)
		}
	}
	p.Y.Max = top * 1.15 // room for the value labels and the legend
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = vg.Points(50)
	width := vg.Points(max(520, 110*float64(len(cats))+100))
	spacing := (width.Points() - 100) / float64(max(1, len(cats)))
	w := vg.Points(spacing * 0.7 / float64(max(1, len(fams))))
	for i, f := range fams {
		b, err := plotter.NewBarChart(vals[i], w)
		if err != nil {
			return err
		}
		b.Color = familyColor(f, i)
		b.LineStyle.Width = 0
		b.Offset = w * vg.Length(float64(i)-float64(len(fams)-1)/2)
		p.Add(b)
		p.Legend.Add(f, b)
		labels, err := barLabels(vals[i], b.Offset)
		if err == nil {
			p.Add(labels)
		}
	}
	p.Add(plotter.NewGrid())
	p.NominalX(cats...)
	p.X.Min, p.X.Max = -0.5, float64(len(cats))-0.5
	p.X.Tick.Label.Font.Size = vg.Points(9)
	return p.Save(width, max(4.5*vg.Inch, width*0.3), path)
}

// barLabels prints each bar's value above it.
func barLabels(vs plotter.Values, offset vg.Length) (*plotter.Labels, error) {
	xys := make(plotter.XYs, len(vs))
	txt := make([]string, len(vs))
	for i, v := range vs {
		xys[i] = plotter.XY{X: float64(i), Y: v}
		switch {
		case v == 0:
			txt[i] = ""
		case v >= 100:
			txt[i] = fmt.Sprintf("%.0f", v)
		default:
			txt[i] = fmt.Sprintf("%.2f", v)
		}
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: txt})
	if err != nil {
		return nil, err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font.Size = vg.Points(7)
		l.TextStyle[i].XAlign = draw.XCenter
	}
	l.Offset = vg.Point{X: offset, Y: vg.Points(2)}
	return l, nil
}

// timelineChart: one row per workload of the group (round 1): throughput and p99 per second,
// one line per target.
func timelineChart(r *bench.Report, path, group string) error {
	var workloads []string
	byW := map[string][]*bench.Result{}
	for _, res := range r.Results {
		if res.Group != group || res.Round != 1 || len(res.Timeline) == 0 {
			continue
		}
		if _, ok := byW[res.Workload.Name]; !ok {
			workloads = append(workloads, res.Workload.Name)
		}
		byW[res.Workload.Name] = append(byW[res.Workload.Name], res)
	}
	if len(workloads) == 0 {
		return nil
	}
	rows := make([][]*plot.Plot, len(workloads))
	for i, wn := range workloads {
		tp, lat := plot.New(), plot.New()
		tp.Title.Text = group + " " + wn + ": throughput"
		tp.Y.Label.Text = "ops/s"
		tp.X.Label.Text = "s"
		tp.Y.Min = 0
		lat.Title.Text = group + " " + wn + ": latency (solid p99, dashed p50)"
		lat.Y.Label.Text = "ms"
		lat.X.Label.Text = "s"
		lat.Y.Min = 0
		for j, res := range byW[wn] {
			c := familyColor(family(res.Target), j)
			ops, p99, p50 := make(plotter.XYs, len(res.Timeline)), make(plotter.XYs, len(res.Timeline)), make(plotter.XYs, len(res.Timeline))
			for k, s := range res.Timeline {
				ops[k] = plotter.XY{X: float64(s.T), Y: float64(s.Ops)}
				p99[k] = plotter.XY{X: float64(s.T), Y: s.P99}
				p50[k] = plotter.XY{X: float64(s.T), Y: s.P50}
			}
			l, err := plotter.NewLine(ops)
			if err != nil {
				return err
			}
			l.Color, l.Width = c, vg.Points(1.5)
			tp.Add(l)
			tp.Legend.Add(res.Target, l)
			l99, err := plotter.NewLine(p99)
			if err != nil {
				return err
			}
			l99.Color, l99.Width = c, vg.Points(1.5)
			l50, err := plotter.NewLine(p50)
			if err != nil {
				return err
			}
			l50.Color, l50.Width, l50.Dashes = c, vg.Points(1), []vg.Length{vg.Points(4), vg.Points(3)}
			lat.Add(l99, l50)
			lat.Legend.Add(res.Target, l99)
		}
		tp.Legend.Top, tp.Legend.Left = false, true
		tp.Legend.YOffs = -vg.Points(4)
		lat.Legend.Top = true
		tp.Add(plotter.NewGrid())
		lat.Add(plotter.NewGrid())
		rows[i] = []*plot.Plot{tp, lat}
	}
	width, height := 11*vg.Inch, vg.Length(len(rows))*3*vg.Inch
	img := vgimg.New(width, height)
	dc := draw.New(img)
	t := draw.Tiles{Rows: len(rows), Cols: 2, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	cs := plot.Align(rows, t, dc)
	for i := range rows {
		for j := range rows[i] {
			rows[i][j].Draw(cs[i][j])
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func latenciesChart(r *bench.Report, path string) error {
	var sums []bench.Summary
	for _, l := range r.Latencies {
		for _, p := range l.Phases {
			sums = append(sums, bench.Summary{Group: l.Group, Workload: p.Name, Target: l.Target, Throughput: p.OpsPerSec})
		}
	}
	// Categories are "group phase": keep the phase order of the first target.
	return barChart(path, "zk-latencies: ops/s per phase", "ops/s", sums, false, func(s bench.Summary) float64 { return s.Throughput })
}
