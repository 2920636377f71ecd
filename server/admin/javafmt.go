package admin

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// JavaDouble formats f as Java's Double.toString does: "0.0", "1.25", "1.0E7", "1.5E-4",
// "NaN", "Infinity". mntr and Jackson print doubles this way.
func JavaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // "1.5e-04"
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// round4 rounds half-up to 4 decimals, as AvgMinMaxCounter.getAvg does with BigDecimal.
func round4(f float64) float64 {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(math.Floor(f*10000+0.5)/10000, 'f', 4, 64), 64)
	if err != nil {
		return f
	}
	return r
}

// JavaDate formats t as java.util.Date.toString: "Sun Nov 22 05:43:52 UTC 2026".
func JavaDate(t time.Time) string { return t.Format("Mon Jan 02 15:04:05 MST 2006") }

// hex is Long.toHexString: two's complement for negative values.
func hex(v int64) string { return strconv.FormatUint(uint64(v), 16) }
