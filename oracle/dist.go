package oracle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// The Java ZooKeeper versions the harness knows, and the Debian suite each comes from.
const (
	V3_4_13 = "3.4.13" // Debian bullseye
	V3_8_0  = "3.8.0"  // Debian bookworm
	V3_9_3  = "3.9.3"  // Debian trixie
)

// Versions lists every version Ensure can provide, oldest first.
var Versions = []string{V3_4_13, V3_8_0, V3_9_3}

// stampFormat must equal STAMP_FORMAT in scripts/fetch-java.sh: a cache written by another
// layout of the script is fetched again.
const stampFormat = 3

// Dist is one unpacked Java ZooKeeper version.
type Dist struct {
	Version   string
	Dir       string // <cache>/<version>
	Classpath string // colon-joined absolute jar paths
	Java      string // absolute path of the java binary that runs this version
}

var (
	ensureMu sync.Mutex
	ensured  = map[string]*Dist{}
)

// Ensure returns the cached distribution of version, running scripts/fetch-java.sh first when
// it is not in the cache (${ZKGO_JAVA_CACHE:-<repo>/.cache/java}). The script takes a file
// lock, so concurrent test processes fetch once.
func Ensure(version string) (*Dist, error) {
	if !knownVersion(version) {
		return nil, fmt.Errorf("oracle: unknown ZooKeeper version %q (known: %s)", version, strings.Join(Versions, ", "))
	}
	ensureMu.Lock()
	defer ensureMu.Unlock()
	if d, ok := ensured[version]; ok {
		return d, nil
	}
	repo, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	cache := CacheDir(repo)
	d, err := readDist(cache, version)
	if err != nil {
		if err := runFetch(repo, version); err != nil {
			return nil, err
		}
		if d, err = readDist(cache, version); err != nil {
			return nil, fmt.Errorf("oracle: scripts/fetch-java.sh %s succeeded but the cache is unusable: %w", version, err)
		}
	}
	ensured[version] = d
	return d, nil
}

func knownVersion(v string) bool {
	for _, k := range Versions {
		if k == v {
			return true
		}
	}
	return false
}

// CacheDir is where scripts/fetch-java.sh unpacks Java ZooKeeper for the repository at repo.
func CacheDir(repo string) string {
	if c := os.Getenv("ZKGO_JAVA_CACHE"); c != "" {
		return c
	}
	return filepath.Join(repo, ".cache", "java")
}

func readDist(cache, version string) (*Dist, error) {
	dir := filepath.Join(cache, version)
	stamp, err := os.ReadFile(filepath.Join(dir, "stamp"))
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(append([]byte("\n"), stamp...), []byte(fmt.Sprintf("\nformat=%d\n", stampFormat))) {
		return nil, fmt.Errorf("%s/stamp: not format %d", dir, stampFormat)
	}
	cp, err := os.ReadFile(filepath.Join(dir, "classpath"))
	if err != nil {
		return nil, err
	}
	java, err := os.ReadFile(filepath.Join(dir, "java"))
	if err != nil {
		return nil, err
	}
	d := &Dist{
		Version:   version,
		Dir:       dir,
		Classpath: strings.TrimSpace(string(cp)),
		Java:      strings.TrimSpace(string(java)),
	}
	if d.Classpath == "" {
		return nil, fmt.Errorf("%s/classpath is empty", dir)
	}
	for _, jar := range strings.Split(d.Classpath, ":") {
		if _, err := os.Stat(jar); err != nil {
			return nil, fmt.Errorf("%s/classpath: %w", dir, err)
		}
	}
	if st, err := os.Stat(d.Java); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("%s/java: %q is not an executable file", dir, d.Java)
	}
	return d, nil
}

func runFetch(repo, version string) error {
	script := filepath.Join(repo, "scripts", "fetch-java.sh")
	cmd := exec.Command("bash", script, version)
	cmd.Dir = repo
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, os.Stderr)
	cmd.Stderr = cmd.Stdout
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("oracle: %s %s: %v\n%s", script, version, err, tail(out.String(), 20))
	}
	return nil
}

// RepoRoot is the root of the zkgo repository this package was built from (the folder holding
// scripts/fetch-java.sh): the parent of this source file's folder, or else the nearest parent
// of the working directory that holds the script.
func RepoRoot() (string, error) {
	var cands []string
	if _, file, _, ok := runtime.Caller(0); ok {
		cands = append(cands, filepath.Dir(filepath.Dir(file)))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			cands = append(cands, d)
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, c := range cands {
		if st, err := os.Stat(filepath.Join(c, "scripts", "fetch-java.sh")); err == nil && !st.IsDir() {
			return c, nil
		}
	}
	return "", errors.New("oracle: cannot find the zkgo repository root (a folder holding scripts/fetch-java.sh) from the source path or the working directory")
}

// DefaultJVMFlags are given to every JVM the harness starts, before Options.JVMFlags (so a
// later -Xmx wins).
var DefaultJVMFlags = []string{
	"-Xmx256m",
	"-XX:+UseSerialGC",
	"-Dzookeeper.jmx.log4j.disable=true",
	"-Dorg.slf4j.simpleLogger.showDateTime=true",
	"-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
}

// Command returns a command that runs mainClass of this distribution, e.g.
// "org.apache.zookeeper.server.persistence.TxnLogToolkit" or
// "org.apache.zookeeper.ZooKeeperMain", with DefaultJVMFlags, then jvmFlags, then args.
func (d *Dist) Command(ctx context.Context, jvmFlags []string, mainClass string, args ...string) *exec.Cmd {
	argv := append([]string{}, DefaultJVMFlags...)
	argv = append(argv, jvmFlags...)
	argv = append(argv, "-cp", d.Classpath, mainClass)
	argv = append(argv, args...)
	return exec.CommandContext(ctx, d.Java, argv...)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
