package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clkTck is USER_HZ, the unit of utime/stime in /proc/<pid>/stat (100 on every Linux
// architecture Go supports).
const clkTck = 100

// ProcStat is one reading of a process from /proc.
type ProcStat struct {
	RSS     int64 // bytes
	HWM     int64 // peak RSS, bytes
	CPUTime time.Duration
	Threads int
}

// ReadProc reads /proc/<pid>/stat and /proc/<pid>/status.
func ReadProc(pid int) (ProcStat, error) {
	var ps ProcStat
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ps, err
	}
	// Fields after the command name (which may hold spaces) start after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ps, fmt.Errorf("bench: /proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime 15.
	if len(f) < 13 {
		return ps, fmt.Errorf("bench: /proc/%d/stat: %d fields", pid, len(f))
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	ps.CPUTime = time.Duration(ut+st) * time.Second / clkTck
	b, err = os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ps, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fs[0], 10, 64)
		switch k {
		case "VmRSS":
			ps.RSS = n << 10
		case "VmHWM":
			ps.HWM = n << 10
		case "Threads":
			ps.Threads = int(n)
		}
	}
	return ps, nil
}

// ProcUsage is a process's resource use over a measured window.
type ProcUsage struct {
	Name     string  `json:"name"`
	Pid      int     `json:"pid"`
	RSSStart int64   `json:"rss_start_bytes"`
	RSSEnd   int64   `json:"rss_end_bytes"`
	RSSMax   int64   `json:"rss_max_bytes"` // largest sample in the window
	HWM      int64   `json:"rss_hwm_bytes"` // peak since the process started
	CPU      float64 `json:"cpu_s"`         // user+system seconds in the window
	CPUPct   float64 `json:"cpu_pct"`       // of one core
	Threads  int     `json:"threads"`
}

// Sampler reads some processes every interval between Start and Stop.
type Sampler struct {
	names map[int]string
	pids  []int

	mu    sync.Mutex
	first map[int]ProcStat
	last  map[int]ProcStat
	max   map[int]int64
	t0    time.Time
	stop  chan struct{}
	done  chan struct{}
}

// NewSampler watches pids, named for reports.
func NewSampler(pids []int, names []string) *Sampler {
	s := &Sampler{names: map[int]string{}}
	for i, p := range pids {
		if p <= 0 {
			continue
		}
		s.pids = append(s.pids, p)
		s.names[p] = names[i]
	}
	return s
}

// Start takes the first reading and samples every 250 ms.
func (s *Sampler) Start() {
	s.first, s.last, s.max = map[int]ProcStat{}, map[int]ProcStat{}, map[int]int64{}
	s.t0 = time.Now()
	s.sample()
	for p, st := range s.last {
		s.first[p] = st
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.sample()
			case <-s.stop:
				return
			}
		}
	}()
}

func (s *Sampler) sample() {
	for _, p := range s.pids {
		st, err := ReadProc(p)
		if err != nil {
			continue
		}
		s.mu.Lock()
		s.last[p] = st
		if st.RSS > s.max[p] {
			s.max[p] = st.RSS
		}
		s.mu.Unlock()
	}
}

// Stop takes a last reading and returns the usage of each process.
func (s *Sampler) Stop() []ProcUsage {
	if s.stop == nil {
		return nil
	}
	close(s.stop)
	<-s.done
	s.sample()
	wall := time.Since(s.t0).Seconds()
	var out []ProcUsage
	for _, p := range s.pids {
		a, ok1 := s.first[p]
		b, ok2 := s.last[p]
		if !ok1 || !ok2 {
			continue
		}
		cpu := (b.CPUTime - a.CPUTime).Seconds()
		out = append(out, ProcUsage{
			Name: s.names[p], Pid: p, RSSStart: a.RSS, RSSEnd: b.RSS, RSSMax: s.max[p], HWM: b.HWM,
			CPU: cpu, CPUPct: 100 * cpu / wall, Threads: b.Threads,
		})
	}
	return out
}
