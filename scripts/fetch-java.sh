#!/usr/bin/env bash
# fetch-java.sh: unpack Apache ZooKeeper (Java) from Debian's packages into a cache folder,
# without installing anything system-wide. It is the test oracle of zkgo.
#
# Usage: scripts/fetch-java.sh [VERSION...]     (default: 3.4.13 3.8.0 3.9.3)
#
#   3.4.13 comes from Debian bullseye, 3.8.0 from bookworm, 3.9.3 from trixie.
#
# Result, per version, under ${ZKGO_JAVA_CACHE:-<repo>/.cache/java}/<version>/:
#   root/       the unpacked packages (jars under root/usr/share/java)
#   classpath   colon-joined absolute jar paths: enough for QuorumPeerMain, ZooKeeperMain,
#               TxnLogToolkit, SnapshotFormatter
#   java        absolute path of the java binary that runs this version
#   stamp       written last; when present (and current) the version is not fetched again
#
# The Debian mirror is read from this machine's apt sources at run time. Each suite gets a
# private apt state under <cache>/apt/<suite>/; the machine's own apt state is not touched.
#
# Environment:
#   ZKGO_JAVA_CACHE        cache folder (default <repo>/.cache/java)
#   ZKGO_DEBIAN_MIRROR     use this mirror URI instead of the one in the apt sources
#   ZKGO_JAVA_FORCE_JRE=1  run every version with the JRE of its own Debian suite (fetched into
#                          the cache) instead of the system java
set -euo pipefail

STAMP_FORMAT=3
ALL_VERSIONS=(3.4.13 3.8.0 3.9.3)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

log() { printf 'fetch-java: %s\n' "$*" >&2; }
die() {
	printf 'fetch-java: error: %s\n' "$*" >&2
	exit 1
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${ZKGO_JAVA_CACHE:-$REPO/.cache/java}

suite_for() {
	case $1 in
	3.4.13) echo bullseye ;;
	3.8.0) echo bookworm ;;
	3.9.3) echo trixie ;;
	*) return 1 ;;
	esac
}

# ---------------------------------------------------------------------------------------------
# Mirror discovery.

# mirror_from_deb822 FILE: the first URI of the first enabled Debian entry whose Suites has
# bookworm (or, failing that, another plain Debian codename).
mirror_from_deb822() {
	awk '
	BEGIN { RS = ""; FS = "\n" }
	{
		uris = ""; suites = ""; types = ""; enabled = "yes"
		for (i = 1; i <= NF; i++) {
			line = $i
			if (line ~ /^[ \t]*#/) continue
			key = tolower(line); sub(/:.*/, "", key)
			val = line; sub(/^[^:]*:[ \t]*/, "", val)
			if (key == "uris") uris = val
			else if (key == "suites") suites = val
			else if (key == "types") types = val
			else if (key == "enabled") enabled = tolower(val)
		}
		if (enabled == "no" || types !~ /(^|[ \t])deb([ \t]|$)/ || uris == "") next
		split(uris, u, /[ \t]+/)
		n = split(suites, s, /[ \t]+/)
		for (j = 1; j <= n; j++) {
			if (s[j] == "bookworm") { print u[1]; found = 1; exit }
			if (fallback == "" && s[j] ~ /^(bullseye|trixie|forky|sid|stable|oldstable|testing|unstable)$/) fallback = u[1]
		}
	}
	END { if (!found && fallback != "") print fallback }
	' "$1"
}

# mirror_from_list FILE: same for a classic one-line sources.list.
mirror_from_list() {
	awk '
	/^[ \t]*#/ { next }
	$1 == "deb" {
		i = 2
		if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
		uri = $i; suite = $(i + 1)
		if (suite == "bookworm") { print uri; found = 1; exit }
		if (fallback == "" && suite ~ /^(bullseye|trixie|forky|sid|stable|oldstable|testing|unstable)$/) fallback = uri
	}
	END { if (!found && fallback != "") print fallback }
	' "$1"
}

find_mirror() {
	if [ -n "${ZKGO_DEBIAN_MIRROR:-}" ]; then
		echo "$ZKGO_DEBIAN_MIRROR"
		return
	fi
	local f m
	for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		m=$(mirror_from_deb822 "$f")
		if [ -n "$m" ]; then
			echo "$m"
			return
		fi
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		m=$(mirror_from_list "$f")
		if [ -n "$m" ]; then
			echo "$m"
			return
		fi
	done
	return 1
}

# ---------------------------------------------------------------------------------------------
# Private apt state, one per suite.

APT_OPTS=()
apt_setup() { # SUITE
	local suite=$1 adir="$CACHE/apt/$1"
	mkdir -p "$adir/lists/partial" "$adir/cache/archives/partial" "$adir/state" "$adir/etc/preferences.d"
	[ -e "$adir/state/status" ] || : >"$adir/state/status"
	echo "deb [signed-by=$KEYRING target=Packages] $MIRROR $suite main" >"$adir/sources.list"
	APT_OPTS=(
		-o "Dir::State=$adir/state"
		-o "Dir::State::Lists=$adir/lists"
		-o "Dir::State::status=$adir/state/status"
		-o "Dir::Etc::SourceList=$adir/sources.list"
		-o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::Etc::Preferences=/dev/null"
		-o "Dir::Etc::PreferencesParts=$adir/etc/preferences.d"
		-o "Dir::Cache=$adir/cache"
		-o "Dir::Cache::pkgcache=$adir/cache/pkgcache.bin"
		-o "Dir::Cache::srcpkgcache=$adir/cache/srcpkgcache.bin"
		-o "Debug::NoLocking=1"
		-o "APT::Sandbox::User=root"
		-o "Acquire::Languages=none"
		-o "APT::Get::AllowUnauthenticated=false"
	)
}

apt_update() { # SUITE
	local out
	if ! out=$(apt-get "${APT_OPTS[@]}" -q update 2>&1) || grep -q '^[EW]: ' <<<"$out"; then
		log "apt-get update ($1) failed, retrying once:"
		printf '%s\n' "$out" | tail -5 >&2
		sleep 2
		if ! out=$(apt-get "${APT_OPTS[@]}" -q update 2>&1) ||
			grep -q -E '^(E: |W: Failed to fetch|W: Some index files failed)' <<<"$out"; then
			printf '%s\n' "$out" | tail -10 >&2
			die "apt-get update for suite $1 from $MIRROR failed"
		fi
	fi
}

pkg_exists() { apt-cache "${APT_OPTS[@]}" show --no-all-versions "$1" >/dev/null 2>&1; }

# java_depends PKG...: the packages named *-java among the Depends of PKG (the first existing
# package of each alternative group).
java_depends() {
	apt-cache "${APT_OPTS[@]}" depends --no-recommends --no-suggests --no-conflicts --no-breaks \
		--no-replaces --no-enhances --no-pre-depends "$@" 2>/dev/null | awk '
		/^[^ ]/ { inalt = 0; next }
		/^ *\|Depends:/ { if (!inalt) { print $2; taken = 1 }; inalt = 1; next }
		/^ *Depends:/ { if (!inalt) print $2; inalt = 0; next }
		{ next }
	' | grep -E -- '-java$' | grep -v -- '-doc$' | sort -u || true
}

apt_download() { # DIR PKG...
	local dir=$1
	shift
	[ $# -gt 0 ] || return 0
	if ! (cd "$dir" && apt-get "${APT_OPTS[@]}" -q download "$@" >"$dir/.download.log" 2>&1); then
		log "apt-get download failed, retrying once: $(tail -3 "$dir/.download.log" | tr '\n' ' ')"
		sleep 2
		(cd "$dir" && apt-get "${APT_OPTS[@]}" -q download "$@" >"$dir/.download.log" 2>&1) ||
			die "apt-get download $* failed: $(tail -5 "$dir/.download.log" | tr '\n' ' ')"
	fi
	rm -f "$dir/.download.log"
}

deb_of() { # DIR PKG: the downloaded .deb of PKG
	local f
	for f in "$1/$2"_*.deb; do
		[ -e "$f" ] && {
			echo "$f"
			return 0
		}
	done
	return 1
}

# ---------------------------------------------------------------------------------------------
# Unpacked tree helpers.

# reroot_symlinks ROOT: make absolute symlinks inside ROOT point inside ROOT when the target
# exists there (Debian's JRE and maven-repo use absolute links).
reroot_symlinks() {
	local root=$1 l t
	while IFS= read -r -d '' l; do
		t=$(readlink "$l")
		case $t in
		/*) if [ -e "$root$t" ] || [ -L "$root$t" ]; then ln -sfn "$root$t" "$l"; fi ;;
		esac
		:
	done < <(find "$root" -type l -lname '/*' -print0)
}

# manifest_classpath JAR: the Class-Path entries of JAR's manifest, one per line.
manifest_classpath() {
	unzip -p "$1" META-INF/MANIFEST.MF 2>/dev/null | tr -d '\r' | awk '
		/^ / { if (incp) cp = cp substr($0, 2); next }
		{ incp = 0 }
		tolower($0) ~ /^class-path:/ { incp = 1; cp = $0; sub(/^[^:]*:[ \t]*/, "", cp) }
		END { n = split(cp, e, /[ \t]+/); for (i = 1; i <= n; i++) if (e[i] != "") print e[i] }
	'
}

# entry_path ROOT REFJAR ENTRY: where a Class-Path ENTRY of REFJAR lives in ROOT.
entry_path() {
	case $3 in
	file:*) echo "$1${3#file:}" ;;
	/*) echo "$1$3" ;;
	*) echo "$(dirname "$2")/$3" ;;
	esac
}

# SLF4J bindings other than slf4j-simple: keep them off the classpath.
is_other_binding() {
	case $(basename "$1") in
	slf4j-log4j12*.jar | slf4j-jdk14*.jar | slf4j-nop*.jar | slf4j-jcl*.jar | slf4j-reload4j*.jar | logback-classic*.jar) return 0 ;;
	esac
	return 1
}

# closure ROOT JAR...: prints "cp PATH" for each jar of the Class-Path closure of the given
# root jars (real paths, in order, deduplicated) and "missing ENTRY" for entries not in ROOT.
closure() {
	local root=$1
	shift
	local -a queue=("$@")
	local -A seen=()
	local j real e p
	while [ ${#queue[@]} -gt 0 ]; do
		j=${queue[0]}
		queue=("${queue[@]:1}")
		if [ ! -e "$j" ]; then
			echo "missing ${j#"$root"}"
			continue
		fi
		real=$(realpath "$j")
		[ -n "${seen[$real]:-}" ] && continue
		seen[$real]=1
		is_other_binding "$j" && continue
		echo "cp $real"
		while IFS= read -r e; do
			p=$(entry_path "$root" "$j" "$e")
			queue+=("$p")
		done < <(manifest_classpath "$j")
	done
}

# ---------------------------------------------------------------------------------------------
# Runtime check: start a standalone server and wait for "Mode: standalone" from srvr.

free_port() {
	local p i
	for i in $(seq 1 50); do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# runs_ok JAVA CLASSPATH DIR: 0 when a standalone server runs with this java.
runs_ok() {
	local javabin=$1 cp=$2 dir=$3 port pid i out rc=1 attempt
	for attempt in 1 2; do
		rm -rf "$dir"
		mkdir -p "$dir/data"
		port=$(free_port) || return 1
		cat >"$dir/zoo.cfg" <<EOF
tickTime=2000
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
4lw.commands.whitelist=*
admin.enableServer=false
EOF
		"$javabin" -Xmx256m -XX:+UseSerialGC -cp "$cp" \
			org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" >"$dir/server.log" 2>&1 &
		pid=$!
		for i in $(seq 1 120); do
			kill -0 "$pid" 2>/dev/null || break
			out=$(timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && printf srvr >&3 && cat <&3" 2>/dev/null || true)
			if grep -q '^Mode: standalone' <<<"$out"; then
				rc=0
				break
			fi
			sleep 0.25
		done
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		[ $rc -eq 0 ] && break
		grep -q 'Address already in use' "$dir/server.log" || break
	done
	if [ $rc -ne 0 ]; then
		log "server did not start with $javabin; last lines of its log:"
		tail -15 "$dir/server.log" >&2 || true
	fi
	return $rc
}

# fetch_jre SUITE DEBS ROOT: unpack the headless JRE that SUITE's default-jre-headless
# points at; prints the path of its java binary.
fetch_jre() {
	local suite=$1 debs=$2 root=$3 jre deb javabin
	jre=$(apt-cache "${APT_OPTS[@]}" depends default-jre-headless 2>/dev/null |
		awk '/Depends: openjdk-[0-9]+-jre-headless/ { print $2; exit }')
	[ -n "$jre" ] || die "cannot find the headless JRE of suite $suite"
	log "fetching $jre from $suite"
	apt_download "$debs" "$jre"
	deb=$(deb_of "$debs" "$jre") || die "download of $jre left no .deb"
	rm -rf "$root"
	mkdir -p "$root"
	dpkg -x "$deb" "$root"
	reroot_symlinks "$root"
	javabin=$(find "$root/usr/lib/jvm" -path '*/bin/java' -type f | head -1)
	[ -n "$javabin" ] || die "$jre has no bin/java"
	echo "$javabin"
}

# ---------------------------------------------------------------------------------------------

is_cached() { # VERSION
	local vdir="$CACHE/$1"
	[ -f "$vdir/stamp" ] && grep -qx "format=$STAMP_FORMAT" "$vdir/stamp" &&
		[ -s "$vdir/classpath" ] && [ -x "$(cat "$vdir/java" 2>/dev/null)" ] &&
		{ [ "${ZKGO_JAVA_FORCE_JRE:-}" != 1 ] || grep -qx 'jre=suite' "$vdir/stamp"; }
}

fetch_version() { # VERSION
	local version=$1 suite vdir root debs
	suite=$(suite_for "$version") || die "unknown version $version (known: ${ALL_VERSIONS[*]})"
	vdir="$CACHE/$version"
	root="$vdir/root"
	debs="$vdir/debs"

	if is_cached "$version"; then
		return 0
	fi
	local t0=$SECONDS
	log "fetching ZooKeeper $version from Debian $suite ($MIRROR)"
	rm -f "$vdir/stamp"
	rm -rf "$root" "$debs" "$vdir/check" "$vdir/jre"
	mkdir -p "$root" "$debs"

	apt_setup "$suite"
	apt_update "$suite"

	pkg_exists libzookeeper-java || die "suite $suite has no libzookeeper-java"
	local have
	have=$(apt-cache "${APT_OPTS[@]}" show --no-all-versions libzookeeper-java | awk '/^Version:/ { print $2 }')
	case $have in
	"$version" | "$version"-* | "$version"+* | "$version"~*) ;;
	*) die "suite $suite has libzookeeper-java $have, expected $version" ;;
	esac

	# Level 1: libzookeeper-java, its direct *-java dependencies, and the extras the packaging
	# leaves out (an SLF4J binding, the servlet API for the AdminServer, netty for TLS).
	local -a pkgs=(libzookeeper-java)
	local p
	while IFS= read -r p; do
		if [ -n "$p" ]; then pkgs+=("$p"); fi
	done < <(java_depends libzookeeper-java)
	pkgs+=(libslf4j-java)
	for p in libservlet-api-java libservlet3.1-java; do
		if pkg_exists "$p"; then
			pkgs+=("$p")
			break
		fi
	done
	for p in libnetty-java libjline-java; do
		if pkg_exists "$p"; then pkgs+=("$p"); fi
	done
	mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
	log "packages: ${pkgs[*]}"
	apt_download "$debs" "${pkgs[@]}"
	local deb
	for p in "${pkgs[@]}"; do
		deb=$(deb_of "$debs" "$p") || die "download of $p left no .deb in $debs"
		dpkg -x "$deb" "$root"
	done

	local jdir="$root/usr/share/java"
	[ -e "$jdir/zookeeper.jar" ] || die "libzookeeper-java has no usr/share/java/zookeeper.jar"
	local -a roots=("$jdir/zookeeper.jar")
	local j
	for j in zookeeper-jute.jar slf4j-api.jar slf4j-simple.jar servlet-api.jar jline.jar; do
		if [ -e "$jdir/$j" ]; then roots+=("$jdir/$j"); fi
	done
	[ -e "$jdir/slf4j-simple.jar" ] || die "libslf4j-java has no slf4j-simple.jar"

	local out missing
	out=$(closure "$root" "${roots[@]}")
	# The netty connection factory needs these, and the manifest does not name them.
	if [ -e "$jdir/netty-transport.jar" ] && grep -qxF "cp $(realpath "$jdir/netty-transport.jar")" <<<"$out"; then
		for j in netty-codec.jar netty-resolver.jar netty-transport-native-unix-common.jar; do
			if [ -e "$jdir/$j" ]; then roots+=("$jdir/$j"); fi
		done
		out=$(closure "$root" "${roots[@]}")
	fi

	# Level 2: Class-Path entries still missing may come from dependencies of dependencies.
	missing=$(awk '$1 == "missing" { print $2 }' <<<"$out" | sort -u)
	if [ -n "$missing" ]; then
		local -a l2=() provided=()
		while IFS= read -r p; do
			if [ -n "$p" ] && ! printf '%s\n' "${pkgs[@]}" | grep -qx -- "$p" && pkg_exists "$p"; then
				l2+=("$p")
			fi
		done < <(java_depends "${pkgs[@]}")
		if [ ${#l2[@]} -gt 0 ]; then
			mkdir -p "$debs/l2"
			apt_download "$debs/l2" "${l2[@]}"
			for p in "${l2[@]}"; do
				deb=$(deb_of "$debs/l2" "$p") || continue
				if dpkg-deb -c "$deb" | awk '{ print substr($6, 2) }' | grep -qxF -f <(printf '%s\n' $missing); then
					dpkg -x "$deb" "$root"
					provided+=("$p")
				fi
			done
			rm -rf "$debs/l2"
			if [ ${#provided[@]} -gt 0 ]; then
				log "second-level packages: ${provided[*]}"
				pkgs+=("${provided[@]}")
				out=$(closure "$root" "${roots[@]}")
				missing=$(awk '$1 == "missing" { print $2 }' <<<"$out" | sort -u)
			fi
		fi
		if [ -n "$missing" ]; then
			log "note: manifest Class-Path entries no dependency ships (left out): $(echo $missing)"
		fi
	fi
	reroot_symlinks "$root"

	local cp
	cp=$(awk '$1 == "cp" { print $2 }' <<<"$out" | paste -sd:)
	[ -n "$cp" ] || die "empty classpath for $version"
	printf '%s\n' "$cp" >"$vdir/classpath"

	# Which java runs it: the system java when it can, else the suite's own JRE.
	local javabin="" jremode=system
	if [ "${ZKGO_JAVA_FORCE_JRE:-}" != 1 ]; then
		local sysjava
		sysjava=$(command -v java || true)
		if [ -n "$sysjava" ]; then
			sysjava=$(readlink -f "$sysjava")
			if runs_ok "$sysjava" "$cp" "$vdir/check"; then
				javabin=$sysjava
			else
				log "ZooKeeper $version does not run with $sysjava; fetching the JRE of $suite"
			fi
		else
			log "no java on PATH; fetching the JRE of $suite"
		fi
	fi
	if [ -z "$javabin" ]; then
		javabin=$(fetch_jre "$suite" "$debs" "$vdir/jre")
		jremode=suite
		runs_ok "$javabin" "$cp" "$vdir/check" || die "ZooKeeper $version does not run with $javabin either"
	fi
	rm -rf "$vdir/check" "$debs"
	rm -f "$CACHE/apt/$suite/cache/"*.bin # apt's binary caches: large, rebuilt on demand
	printf '%s\n' "$javabin" >"$vdir/java"

	{
		echo "format=$STAMP_FORMAT"
		echo "version=$version"
		echo "suite=$suite"
		echo "libzookeeper-java=$have"
		echo "jre=$jremode"
		echo "java=$javabin"
		echo "java-version=$("$javabin" -version 2>&1 | head -1)"
		echo "packages=${pkgs[*]}"
		echo "fetched=$(date -u +%Y-%m-%dT%H:%M:%SZ) in $((SECONDS - t0))s"
	} >"$vdir/stamp.tmp"
	mv "$vdir/stamp.tmp" "$vdir/stamp"
	log "ZooKeeper $version ready in $vdir ($((SECONDS - t0)) s, java $javabin)"
}

main() {
	local -a versions=("$@")
	[ ${#versions[@]} -gt 0 ] || versions=("${ALL_VERSIONS[@]}")
	local v
	for v in "${versions[@]}"; do
		suite_for "$v" >/dev/null || die "unknown version $v (known: ${ALL_VERSIONS[*]})"
	done
	command -v flock >/dev/null || die "missing tool: flock (package util-linux)"
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock"
	flock 9 || die "cannot lock $CACHE/.lock"

	MIRROR=""
	local need=0
	for v in "${versions[@]}"; do
		if ! is_cached "$v"; then need=1; fi
	done
	if [ $need = 1 ]; then
		local tool
		for tool in apt-get apt-cache dpkg dpkg-deb unzip realpath timeout find awk; do
			command -v "$tool" >/dev/null || die "missing tool: $tool"
		done
		[ -r "$KEYRING" ] || die "missing $KEYRING (package debian-archive-keyring)"
		MIRROR=$(find_mirror) || die "no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list (set ZKGO_DEBIAN_MIRROR)"
		MIRROR=${MIRROR%/}
	fi
	for v in "${versions[@]}"; do
		fetch_version "$v"
	done
}

main "$@"
