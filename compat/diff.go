package compat

import (
	"fmt"
	"strings"
)

// Diff returns a line diff of a (oracle) and b (target) with three lines of context, or ""
// when they are equal. Lines only in a start with "-", lines only in b with "+".
func Diff(a, b []string) string {
	if equal(a, b) {
		return ""
	}
	// Longest common subsequence table; transcripts are a few hundred lines at most.
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
	}
	var ops []line
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, line{' ', a[i]})
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] > lcs[i+1][j]):
			ops = append(ops, line{'+', b[j]})
			j++
		default:
			ops = append(ops, line{'-', a[i]})
			i++
		}
	}
	const ctx = 3
	show := make([]bool, len(ops))
	for k, l := range ops {
		if l.op != ' ' {
			for c := max(0, k-ctx); c <= min(len(ops)-1, k+ctx); c++ {
				show[c] = true
			}
		}
	}
	var sb strings.Builder
	for k, l := range ops {
		if !show[k] {
			continue
		}
		if k > 0 && !show[k-1] && sb.Len() > 0 {
			sb.WriteString("@@\n")
		}
		fmt.Fprintf(&sb, "%c%s\n", l.op, l.text)
	}
	return sb.String()
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
