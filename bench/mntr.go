package bench

import (
	"strconv"
	"strings"
	"time"

	"github.com/zkgo/zkgo/oracle"
)

// mntr reads the numeric lines of a server's mntr reply ("zk_key<TAB>value").
func mntr(addr string) map[string]float64 {
	reply, err := oracle.FourLetter(addr, "mntr", 2*time.Second)
	if err != nil && reply == "" {
		return nil
	}
	out := map[string]float64{}
	for _, line := range strings.Split(reply, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "\t")
		if !ok {
			continue
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			out[k] = f
		}
	}
	return out
}

// SyncStats is the group commit seen through mntr during a window: how many fsyncs, how
// long they took and how many txns each carried (Java's fsynctime and
// sync_processor_batch_size summaries; zkgo reports the same names).
type SyncStats struct {
	Server     string  `json:"server"`
	Fsyncs     int64   `json:"fsyncs"`
	FsyncAvgMs float64 `json:"fsync_avg_ms"`
	Batches    int64   `json:"batches"`
	BatchAvg   float64 `json:"batch_avg"`
}

func syncStats(server string, before, after map[string]float64) (SyncStats, bool) {
	s := SyncStats{Server: server}
	if before == nil || after == nil {
		return s, false
	}
	d := func(k string) float64 { return after[k] - before[k] }
	cnt, sum := d("zk_cnt_fsynctime"), d("zk_sum_fsynctime")
	bc, bs := d("zk_cnt_sync_processor_batch_size"), d("zk_sum_sync_processor_batch_size")
	if cnt <= 0 && bc <= 0 {
		return s, false
	}
	s.Fsyncs, s.Batches = int64(cnt), int64(bc)
	if cnt > 0 {
		s.FsyncAvgMs = sum / cnt
	}
	if bc > 0 {
		s.BatchAvg = bs / bc
	}
	return s, true
}
