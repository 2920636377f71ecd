package datatree

import (
	"fmt"
	"strconv"
	"strings"
)

// Quotas: a node /zookeeper/quota/<path>/zookeeper_limits makes <path> a quota root; the tree
// keeps /zookeeper/quota/<path>/zookeeper_stats up to date locally ("count=N,bytes=M"), without
// txns, as ZooKeeper's DataTree does. Soft limits are not enforced (ZooKeeper only logs).

func quotaTarget(quotaDir string) string {
	return strings.TrimPrefix(quotaDir, QuotaPath)
}

func (t *Tree) noteQuota(path string) {
	if strings.HasPrefix(path, QuotaPath+"/") && baseOf(path) == limitsNode {
		target := quotaTarget(parentOf(path))
		if target != "" {
			t.quotas[target] = struct{}{}
		}
	}
}

// initQuotaStats fills a new zookeeper_stats node with the current usage of its quota root
// (DataTree.updateQuotaForPath): the node itself and every descendant, their data bytes.
func (t *Tree) initQuotaStats(path string) {
	if !strings.HasPrefix(path, QuotaPath+"/") || baseOf(path) != statsNode {
		return
	}
	tn := t.Get(quotaTarget(parentOf(path)))
	if tn == nil {
		return
	}
	var count, bytes int64
	tn.each(func(n *Node) {
		count++
		bytes += int64(len(n.Data))
	})
	t.Get(path).Data = []byte(fmt.Sprintf("count=%d,bytes=%d", count, bytes))
}

// quotaRoot returns the longest quota root that is path or one of its ancestors.
func (t *Tree) quotaRoot(path string) (string, bool) {
	if len(t.quotas) == 0 || strings.HasPrefix(path, ZookeeperPath+"/") || path == ZookeeperPath {
		return "", false
	}
	for p := path; ; p = parentOf(p) {
		if _, ok := t.quotas[p]; ok {
			return p, true
		}
		if p == "/" {
			return "", false
		}
	}
}

func (t *Tree) updateQuota(path string, dCount, dBytes int64) {
	root, ok := t.quotaRoot(path)
	if !ok {
		return
	}
	n := t.Get(QuotaPath + root + "/" + statsNode)
	if n == nil {
		return
	}
	count, bytes, rest := parseStats(string(n.Data))
	n.Data = []byte(fmt.Sprintf("count=%d,bytes=%d%s", count+dCount, bytes+dBytes, rest))
}

// parseStats reads "count=N,bytes=M" plus any 3.7+ suffix (kept verbatim).
func parseStats(s string) (count, bytes int64, rest string) {
	count, bytes = 0, 0
	main := s
	if i := strings.IndexByte(s, '='); i >= 0 {
		if j := strings.Index(s, "=;"); j >= 0 {
			main, rest = s[:j], s[j:]
		}
	}
	for _, kv := range strings.Split(main, ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "count":
			count = n
		case "bytes":
			bytes = n
		}
	}
	return count, bytes, rest
}
