package admin

import (
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// GoEnvironment is envi / the environment command for a Go process: Java's keys
// (Environment.list) with the Go runtime's values — java.version is the Go version,
// java.vendor "The Go Authors", java.home the directory of the executable, java.class.path the
// executable, java.compiler the Go compiler, os.memory.* the Go heap (free: obtained from the
// OS but not in use; max: the soft memory limit, or what the OS gave when there is none;
// total: obtained from the OS). Values that are not known print "<NA>", as in Java.
func GoEnvironment(version string) []Field {
	na := func(s string) string {
		if s == "" {
			return "<NA>"
		}
		return s
	}
	host, _ := os.Hostname()
	exe, _ := os.Executable()
	home, uname := "", ""
	if u, err := user.Current(); err == nil {
		uname, home = u.Username, u.HomeDir
	}
	if home == "" {
		home = os.Getenv("HOME")
	}
	wd, _ := os.Getwd()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	const mb = 1 << 20
	total := int64(ms.Sys)
	free := int64(ms.Sys - ms.HeapAlloc)
	max := debug.SetMemoryLimit(-1)
	if max <= 0 || max == 1<<63-1 {
		max = total
	}
	javaHome := ""
	if exe != "" {
		javaHome = filepath.Dir(exe)
	}
	return []Field{
		{"zookeeper.version", version},
		{"host.name", na(host)},
		{"java.version", runtime.Version()},
		{"java.vendor", "The Go Authors"},
		{"java.home", na(javaHome)},
		{"java.class.path", na(exe)},
		{"java.library.path", na(os.Getenv("LD_LIBRARY_PATH"))},
		{"java.io.tmpdir", os.TempDir()},
		{"java.compiler", runtime.Compiler},
		{"os.name", javaOSName()},
		{"os.arch", javaOSArch()},
		{"os.version", na(osVersion())},
		{"user.name", na(uname)},
		{"user.home", na(home)},
		{"user.dir", na(wd)},
		{"os.memory.free", strconv.FormatInt(free/mb, 10) + "MB"},
		{"os.memory.max", strconv.FormatInt(max/mb, 10) + "MB"},
		{"os.memory.total", strconv.FormatInt(total/mb, 10) + "MB"},
	}
}

// javaOSName is the os.name a JVM reports on this OS.
func javaOSName() string {
	switch runtime.GOOS {
	case "linux":
		return "Linux"
	case "darwin":
		return "Mac OS X"
	case "windows":
		return "Windows"
	case "freebsd":
		return "FreeBSD"
	case "openbsd":
		return "OpenBSD"
	case "netbsd":
		return "NetBSD"
	case "solaris", "illumos":
		return "SunOS"
	case "aix":
		return "AIX"
	}
	return runtime.GOOS
}

// javaOSArch is the os.arch a JVM reports on this architecture.
func javaOSArch() string {
	switch runtime.GOARCH {
	case "arm64":
		return "aarch64"
	case "386":
		return "x86"
	}
	return runtime.GOARCH
}

// osVersion is the kernel release (os.version), from /proc on Linux.
func osVersion() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// SystemProperties is system_properties for a Go process: the JVM-independent keys Java
// always has, with Go's values, plus the given ZooKeeper properties (zookeeper.*).
func SystemProperties(version string, zk map[string]string) map[string]string {
	p := map[string]string{}
	for _, f := range GoEnvironment(version) {
		k := f.Key
		if strings.HasPrefix(k, "java.") || strings.HasPrefix(k, "os.name") || k == "os.arch" || k == "os.version" || strings.HasPrefix(k, "user.") {
			p[k] = f.Val.(string)
		}
	}
	p["file.separator"] = string(os.PathSeparator)
	p["path.separator"] = string(os.PathListSeparator)
	p["line.separator"] = "\n"
	p["file.encoding"] = "UTF-8"
	p["native.encoding"] = "UTF-8"
	delete(p, "java.compiler") // unset on a JVM
	for k, v := range zk {
		p[k] = v
	}
	return p
}
