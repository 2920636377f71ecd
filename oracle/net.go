package oracle

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FourLetter sends the four-letter word (exactly its 4 bytes, no newline) to addr on a fresh
// connection and returns everything the server writes before closing. timeout bounds the
// whole exchange: a server that is still loading may accept and never answer.
func FourLetter(addr, word string, timeout time.Duration) (string, error) {
	if len(word) != 4 {
		return "", fmt.Errorf("oracle: four-letter word %q is %d bytes", word, len(word))
	}
	deadline := time.Now().Add(timeout)
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", fmt.Errorf("oracle: %s to %s: %w", word, addr, err)
	}
	defer c.Close()
	if err := c.SetDeadline(deadline); err != nil {
		return "", fmt.Errorf("oracle: %s to %s: %w", word, addr, err)
	}
	if _, err := io.WriteString(c, word); err != nil {
		return "", fmt.Errorf("oracle: %s to %s: write: %w", word, addr, err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return string(b), fmt.Errorf("oracle: %s to %s: read: %w", word, addr, err)
	}
	return string(b), nil
}

// SrvrMode extracts the value of the "Mode:" line of a srvr or stat reply ("standalone",
// "leader", "follower", "observer"), or "" when there is none.
func SrvrMode(reply string) string {
	for _, line := range strings.Split(reply, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Mode:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

var (
	portMu     sync.Mutex
	portsGiven = map[int]bool{}
)

// FreePorts reserves n distinct free TCP ports on 127.0.0.1: each is found by listening on
// port 0; all n are held open together, then closed. Within this process a port is never
// handed out twice.
func FreePorts(n int) ([]int, error) {
	portMu.Lock()
	defer portMu.Unlock()
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	var ports []int
	for len(ports) < n {
		if len(held) > n+1000 {
			return nil, fmt.Errorf("oracle: no free port on 127.0.0.1 after %d tries", len(held))
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("oracle: reserving a port on 127.0.0.1: %w", err)
		}
		held = append(held, l)
		p := l.Addr().(*net.TCPAddr).Port
		if portsGiven[p] {
			continue
		}
		ports = append(ports, p)
	}
	for _, p := range ports {
		portsGiven[p] = true
	}
	return ports, nil
}

func hostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
