package admin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// idle is a Backend that is not serving (an election is under way) and knows nothing.
type idle struct{}

func (idle) Serving() bool                       { return false }
func (idle) Stats() ServerStats                  { return ServerStats{Mode: "standalone"} }
func (idle) Conf() Conf                          { return Conf{} }
func (idle) Connections() []Conn                 { return nil }
func (idle) SessionExpiry() []ExpiryBucket       { return nil }
func (idle) Ephemerals() []SessionPaths          { return nil }
func (idle) Watches() Watches                    { return Watches{} }
func (idle) Digests() []ZxidDigest               { return nil }
func (idle) Gauges() Gauges                      { return Gauges{} }
func (idle) ResetConnectionStats()               {}
func (idle) ResetServerStats()                   {}
func (idle) InitialConfig() string               { return "" }
func (idle) LastSnapshot() (int64, int64, bool)  { return 0, 0, false }
func (idle) SystemProperties() map[string]string { return nil }
func (idle) Quorum() *QuorumInfo                 { return nil }

// TestNotServing pins what Java prints while its ZooKeeperServer is not running
// (AbstractFourLetterCommand.isZKServerRunning false; Commands.runCommand for commands that
// need a server).
func TestNotServing(t *testing.T) {
	all := map[string]bool{}
	for _, w := range []string{"conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srst", "srvr", "stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash"} {
		all[w] = true
	}
	s := New(idle{}, NewMetrics(), "3.9.3-zkgo, built on x", all)
	for w, want := range map[string]string{
		"conf": NotServing + "\n", "cons": NotServing + "\n", "crst": NotServing + "\n", "dirs": NotServing + "\n",
		"dump": NotServing + "\n", "srst": NotServing + "\n", "srvr": NotServing + "\n", "stat": NotServing + "\n",
		"wchc": NotServing + "\n", "wchp": NotServing + "\n", "wchs": NotServing + "\n", "mntr": NotServing + "\n",
		"hash": NotServing, "isro": "null", "ruok": "imok", "gtmk": "306",
	} {
		if got := s.FourLetter(w, 0); got != want {
			t.Errorf("%s: %q, want %q", w, got, want)
		}
	}
	if got := s.FourLetter("envi", 0); !strings.HasPrefix(got, "Environment:\nzookeeper.version=3.9.3-zkgo") {
		t.Errorf("envi: %q", got)
	}
	if got := s.FourLetter("stmk", 42); got != "42" || s.TraceMask() != 42 {
		t.Errorf("stmk: %q, mask %d", got, s.TraceMask())
	}

	h := s.Handler()
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	// Commands that need a server answer with the name asked for and Java's message.
	if code, body := get("/commands/stat"); code != 200 || body != "{\n  \"command\" : \"stat\",\n  \"error\" : \""+NotServing+"\"\n}" {
		t.Errorf("stat: %d %s", code, body)
	}
	// The others still run.
	for _, c := range []string{"environment", "get_trace_mask", "monitor", "set_trace_mask?traceMask=7", "system_properties", "zabstate"} {
		if code, body := get("/commands/" + c); code != 200 || !strings.Contains(body, "\"error\" : null") {
			t.Errorf("%s: %d %s", c, code, body)
		}
	}
}
