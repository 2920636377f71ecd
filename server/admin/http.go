package admin

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
)

// Handler serves the AdminServer (JettyAdminServer's CommandServlet) under CommandURL:
// GET <url> lists links to the commands; GET <url>/<name>?k=v runs a command and answers its
// JSON as Jackson pretty-prints it; POST <url>/<name> runs a POST command (restore). Like
// Java, an unknown command answers 200 with an error field, and TRACE is refused.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(s.serveHTTP)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	base := s.CommandURL
	if base == "" {
		base = "/commands"
	}
	if r.Method == http.MethodTrace {
		http.Error(w, "TRACE is not allowed", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, base)
	if !ok || (rest != "" && rest[0] != '/') {
		http.NotFound(w, r)
		return
	}
	if rest == "" || rest == "/" {
		w.Header()["Content-Type"] = nil // Jetty sends none
		for _, c := range sortedPrimaries() {
			fmt.Fprintf(w, "<a href=\"%s/%s\">%s</a>\n<br/>\n", base, c, c)
		}
		return
	}
	name := rest[1:]
	ip := remoteIP(r)
	if s.Logger != nil {
		s.Logger.Debug("admin command", "command", name, "method", r.Method, "remote", r.RemoteAddr)
	}
	if r.Method == http.MethodPost {
		io.Copy(io.Discard, io.LimitReader(r.Body, 1<<30))
	}
	args := map[string]string{}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			args[k] = v[0]
		}
	}
	resp := s.run(name, args, r.Header.Get("Authorization"), ip, r.Method == http.MethodPost)
	if resp == nil {
		// Java: a GET command asked by POST (or a POST command by GET) returns null and Jetty
		// answers 500.
		http.Error(w, "command does not take "+r.Method, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.Status)
	w.Write(MarshalJackson(resp.Map()))
}

func sortedPrimaries() []string {
	var out []string
	for _, c := range Commands {
		out = append(out, c.Primary())
	}
	slices.Sort(out)
	return out
}

func remoteIP(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}
