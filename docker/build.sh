#!/usr/bin/env bash
# docker/build.sh: build zkgo's Docker images from local files. There is no registry: nothing is
# pulled; the images are imported from tarballs made here (`docker import`).
#
# Usage: docker/build.sh [-f] [-q] [TARGET...]      (default: all)
#
#   zkgo          zkgo:local (override with ZKGO_IMAGE): a scratch image holding only the static
#                 binary (CGO_ENABLED=0), /conf, /data and /tmp. Entry point:
#                 /zkgo server /conf/zoo.cfg. Mount /conf/zoo.cfg and put myid in the /data
#                 mount, or set the ZOO_* variables of the common ZooKeeper images (ZOO_MY_ID,
#                 ZOO_SERVERS, ...: server/config/env.go): with no zoo.cfg the binary builds
#                 its config from them (the image has no shell).
#   java          the three below
#   java-3.4.13   zkgo-java:3.4.13  Debian bullseye (OpenJDK 11) + libzookeeper-java 3.4.13
#   java-3.8.0    zkgo-java:3.8.0   Debian bookworm (OpenJDK 17) + libzookeeper-java 3.8.0
#   java-3.9.3    zkgo-java:3.9.3   Debian trixie (OpenJDK 21) + libzookeeper-java 3.9.3
#                 Root filesystems made by `debootstrap --variant=minbase` with the suite's
#                 default-jre-headless, libzookeeper-java, libslf4j-java (slf4j-simple: without
#                 a binding the server logs nothing), libnetty-java (netty-codec, -resolver and
#                 -transport-native-unix-common, missing from the 3.8/3.9 manifests) and
#                 libjline-java. Entry point docker/java/entrypoint.sh: /conf/zoo.cfg and
#                 /data/myid from mounts, or generated from the same ZOO_* variables.
#
#   -f  rebuild even when the image is current (-f -f: also redo the debootstrap)
#   -q  quiet: print only what was rebuilt
#
# Staleness: each image carries the label zkgo.inputs, a SHA-256 of its inputs (zkgo: the Go
# files of every non-standard package cmd/zkgo depends on, go.mod, go.sum, the Go version and
# this script's zkgo recipe; Java: the suite, the package list, the entrypoint and this
# script's Java recipe). An image whose label matches is left alone, so calling this script
# before every test run costs about a second.
#
# Cache (${ZKGO_DOCKER_CACHE:-<repo>/.cache/docker}): rootfs-<suite>.tar (+ .inputs, the
# recipe hash it was made with), debs/<suite>/ (debootstrap's downloaded packages),
# build-times.log. The Debian mirror is read from this machine's apt sources at run time
# (`apt-get indextargets`), or ZKGO_DEBIAN_MIRROR.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${ZKGO_DOCKER_CACHE:-$REPO/.cache/docker}
ZKGO_IMAGE=${ZKGO_IMAGE:-zkgo:local}
JAVA_REPO=zkgo-java
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
ROOTFS_FORMAT=1 # bump to force new root filesystems
PATH_ENV=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

FORCE=0
QUIET=0

log() { [ "$QUIET" = 1 ] || printf 'docker-build: %s\n' "$*" >&2; }
say() { printf 'docker-build: %s\n' "$*" >&2; }
die() {
	printf 'docker-build: error: %s\n' "$*" >&2
	exit 1
}

suite_for() {
	case $1 in
	3.4.13) echo bullseye ;;
	3.8.0) echo bookworm ;;
	3.9.3) echo trixie ;;
	*) return 1 ;;
	esac
}

java_packages() { echo default-jre-headless libzookeeper-java libslf4j-java libnetty-java libjline-java; }

sha() { sha256sum | cut -c1-64; }

image_label() { # IMAGE: its zkgo.inputs label, or nothing
	docker image inspect --format '{{index .Config.Labels "zkgo.inputs"}}' "$1" 2>/dev/null || true
}

image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }

# drop_old ID: remove an image this script replaced, once nothing uses it: only when it has no
# tag left (a running interop test pins the images it uses under tags of its own, and
# `docker image rm ID` would delete an image through its last tag); a container still running
# it keeps it too.
drop_old() {
	[ -n "$1" ] || return 0
	[ "$(docker image inspect --format '{{len .RepoTags}}' "$1" 2>/dev/null)" = 0 ] || return 0
	docker image rm "$1" >/dev/null 2>&1 || true
}

record_time() { # WHAT SECONDS
	mkdir -p "$CACHE"
	printf '%s %s %ss\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" >>"$CACHE/build-times.log"
	say "$1: ${2}s"
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------------------------------------
# zkgo: scratch image with the static binary.

zkgo_inputs() {
	local files
	files=$(cd "$REPO" && CGO_ENABLED=0 go list -deps \
		-f '{{if not .Standard}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{end}}' \
		./cmd/zkgo) || die "go list ./cmd/zkgo failed"
	{
		go version
		declare -f build_zkgo
		cat "$REPO/go.mod" "$REPO/go.sum"
		# shellcheck disable=SC2086 # one path per line, no spaces in Go paths
		sort <<<"$files" | grep -v '^$' | while IFS= read -r f; do
			printf '%s ' "${f#"$REPO"/}"
			sha256sum <"$f"
		done
	} | sha
}

build_zkgo() {
	local t0 hash work
	t0=$(now)
	hash=$(zkgo_inputs)
	if [ "$FORCE" = 0 ] && [ "$(image_label "$ZKGO_IMAGE")" = "$hash" ]; then
		log "$ZKGO_IMAGE is current (${hash:0:12})"
		return 0
	fi
	work=$(mktemp -d "${TMPDIR:-/tmp}/zkgo-image.XXXXXX")
	# shellcheck disable=SC2064 # expand now; build_* run in a subshell, so EXIT is theirs
	trap "rm -rf '$work'" EXIT
	mkdir -p "$work/root/conf" "$work/root/data" "$work/root/tmp"
	chmod 1777 "$work/root/tmp"
	(cd "$REPO" && CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$work/root/zkgo" ./cmd/zkgo) ||
		die "go build ./cmd/zkgo failed"
	tar --numeric-owner --owner=0 --group=0 -C "$work/root" -cf "$work/zkgo.tar" .
	local old
	old=$(image_id "$ZKGO_IMAGE")
	docker import \
		--change 'ENTRYPOINT ["/zkgo", "server", "/conf/zoo.cfg"]' \
		--change "LABEL zkgo.inputs=$hash" \
		--message "zkgo scratch image (docker/build.sh)" \
		"$work/zkgo.tar" "$ZKGO_IMAGE" >/dev/null || die "docker import $ZKGO_IMAGE failed"
	drop_old "$old"
	record_time "image $ZKGO_IMAGE (${hash:0:12})" "$(since "$t0")"
}

# ---------------------------------------------------------------------------------------------
# Java: debootstrap'ed Debian with the suite's JRE and libzookeeper-java.

find_mirror() {
	if [ -n "${ZKGO_DEBIAN_MIRROR:-}" ]; then
		echo "${ZKGO_DEBIAN_MIRROR%/}"
		return
	fi
	local m
	m=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
		awk '$2 ~ /^(bullseye|bookworm|trixie|forky|sid|stable|oldstable|testing|unstable)$/ { print $1; exit }')
	[ -n "$m" ] || die "no Debian mirror in this machine's apt sources (set ZKGO_DEBIAN_MIRROR)"
	echo "${m%/}"
}

# What a root filesystem is made of; make_rootfs's own text is left out, so that changes in
# how it runs (tool lookup, logging) do not force a new debootstrap: bump ROOTFS_FORMAT when
# the result would differ.
rootfs_inputs() { # SUITE
	echo "format=$ROOTFS_FORMAT suite=$1 variant=minbase packages=$(java_packages) slim=$SLIM" | sha
}

# Removed from every root filesystem: documentation, man pages, locales, apt's lists and
# downloaded packages, logs.
SLIM="usr/share/doc/* usr/share/man/* usr/share/info/* usr/share/locale/* var/cache/apt/archives/*.deb var/lib/apt/lists/* var/log/* tmp/*"

# find_debootstrap: debootstrap from PATH, else unpacked from its Debian package into the
# cache (debootstrap runs from any folder given DEBOOTSTRAP_DIR); nothing is installed.
find_debootstrap() {
	if command -v debootstrap >/dev/null && [ "${ZKGO_DEBOOTSTRAP_FETCH:-}" != 1 ]; then
		DEBOOTSTRAP=debootstrap
		return
	fi
	local d=$CACHE/tools/debootstrap
	# Root filesystems are made in parallel: one unpacks, the others wait on the lock (an
	# unlocked unpack removed the scripts from under a running debootstrap).
	mkdir -p "$CACHE/tools"
	(
		flock 8 || die "cannot lock $CACHE/tools/.lock"
		[ -x "$d/usr/sbin/debootstrap" ] && exit 0
		log "debootstrap is not installed: unpacking its Debian package into $d"
		tmp=$(mktemp -d)
		(cd "$tmp" && apt-get download debootstrap >/dev/null 2>&1) ||
			die "no debootstrap and apt-get download debootstrap failed (apt-get update, or apt-get install debootstrap)"
		rm -rf "$d.tmp"
		mkdir -p "$d.tmp"
		dpkg -x "$tmp"/debootstrap_*.deb "$d.tmp"
		rm -rf "$tmp" "$d"
		mv "$d.tmp" "$d"
	) 8>"$CACHE/tools/.lock" || exit 1
	export DEBOOTSTRAP_DIR=$d/usr/share/debootstrap
	DEBOOTSTRAP=$d/usr/sbin/debootstrap
}

make_rootfs() { # SUITE: .cache/docker/rootfs-SUITE.tar
	local suite=$1 tar="$CACHE/rootfs-$1.tar" work="$CACHE/work/$1" hash t0 mirror
	hash=$(rootfs_inputs "$suite")
	if [ "$FORCE" -lt 2 ] && [ -f "$tar" ] && [ "$(cat "$tar.inputs" 2>/dev/null)" = "$hash" ]; then
		return 0
	fi
	t0=$(now)
	mirror=$(find_mirror)
	for tool in tar wget dpkg; do
		command -v "$tool" >/dev/null || die "missing tool: $tool (apt-get install $tool)"
	done
	find_debootstrap
	[ -r "$KEYRING" ] || die "missing $KEYRING (package debian-archive-keyring)"
	log "debootstrap $suite from $mirror"
	rm -rf "$work"
	mkdir -p "$work" "$CACHE/debs/$suite"
	local pkgs attempt ok=0
	pkgs=$(java_packages | tr ' ' ',')
	for attempt in 1 2; do
		if "$DEBOOTSTRAP" --variant=minbase --components=main --keyring="$KEYRING" \
			--cache-dir="$CACHE/debs/$suite" --include="$pkgs" \
			"$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1; then
			ok=1
			break
		fi
		say "debootstrap $suite failed (attempt $attempt): $(tail -3 "$work/debootstrap.log" | tr '\n' ' ')"
		umount "$work/root/proc" "$work/root/sys" 2>/dev/null || true
		rm -rf "$work/root"
		sleep 2
	done
	[ "$ok" = 1 ] || die "debootstrap $suite failed; log: $work/debootstrap.log"
	local r=$work/root
	local g
	local -a slim
	read -ra slim <<<"$SLIM" # no globbing here: the globs expand below, inside $r
	for g in "${slim[@]}"; do
		# shellcheck disable=SC2086 # a glob
		rm -rf "$r"/$g
	done
	rm -f "$r/etc/hostname" "$r/etc/resolv.conf" # Docker provides these
	tar --numeric-owner -C "$r" -cf "$tar.tmp" .
	mv "$tar.tmp" "$tar"
	echo "$hash" >"$tar.inputs"
	du -sm "$r" | awk -v s="$suite" '{ print "rootfs " s ": " $1 " MB" }' >"$tar.size"
	rm -rf "$work"
	record_time "rootfs $suite (debootstrap, $(cut -d: -f2 "$tar.size" | tr -d ' '))" "$(since "$t0")"
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

# in_root ROOT PATH: where PATH (as the container sees it) is in ROOT, following symlinks the
# way the container would (absolute targets stay inside ROOT).
in_root() {
	local root=$1 p=$2 t i
	for i in 1 2 3 4 5 6 7 8; do
		[ -L "$root$p" ] || break
		t=$(readlink "$root$p")
		case $t in
		/*) p=$t ;;
		*) p=$(dirname "$p")/$t ;;
		esac
	done
	echo "$root$p"
}

# image_classpath ROOT: the classpath inside the image (paths as the container sees them): the
# slf4j-simple binding first, then the Class-Path closure of zookeeper.jar and the extras;
# other SLF4J bindings left out.
image_classpath() {
	local root=$1 jd=/usr/share/java j e p
	local -a queue=("$jd/slf4j-simple.jar" "$jd/slf4j-api.jar" "$jd/zookeeper.jar")
	for j in zookeeper-jute.jar jline.jar netty-codec.jar netty-resolver.jar netty-transport-native-unix-common.jar; do
		[ -e "$(in_root "$root" "$jd/$j")" ] && queue+=("$jd/$j")
	done
	local -A seen=()
	local -a out=()
	while [ ${#queue[@]} -gt 0 ]; do
		j=${queue[0]}
		queue=("${queue[@]:1}")
		[ -e "$(in_root "$root" "$j")" ] || continue
		[ -n "${seen[$j]:-}" ] && continue
		seen[$j]=1
		case $(basename "$j") in
		slf4j-log4j12*.jar | slf4j-jdk14*.jar | slf4j-nop*.jar | slf4j-jcl*.jar | slf4j-reload4j*.jar | logback-classic*.jar) continue ;;
		esac
		out+=("$j")
		while IFS= read -r e; do
			case $e in
			file:*) p=${e#file:} ;;
			/*) p=$e ;;
			*) p=$(dirname "$j")/$e ;;
			esac
			queue+=("$p")
		done < <(manifest_classpath "$(in_root "$root" "$j")")
	done
	(
		IFS=:
		echo "${out[*]}"
	)
}

java_inputs() { # VERSION
	{
		echo "version=$1 rootfs=$(rootfs_inputs "$(suite_for "$1")")"
		declare -f build_java image_classpath in_root manifest_classpath
		cat "$REPO/docker/java/entrypoint.sh"
	} | sha
}

build_java() { # VERSION
	local version=$1 suite image hash t0 work tar
	suite=$(suite_for "$version") || die "unknown ZooKeeper version $version"
	image=$JAVA_REPO:$version
	hash=$(java_inputs "$version")
	if [ "$FORCE" = 0 ] && [ "$(image_label "$image")" = "$hash" ]; then
		log "$image is current (${hash:0:12})"
		return 0
	fi
	t0=$(now)
	make_rootfs "$suite"
	tar=$CACHE/rootfs-$suite.tar
	work=$(mktemp -d "$CACHE/java-image.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$work'" EXIT
	# The classpath is computed from the jars' manifests, with the rootfs unpacked.
	mkdir -p "$work/root" "$work/overlay/etc/zkgo" "$work/overlay/usr/local/bin" "$work/overlay/conf" "$work/overlay/data"
	tar -C "$work/root" -xf "$tar" ./usr/share
	local cp
	cp=$(image_classpath "$work/root")
	case ":$cp:" in
	*:/usr/share/java/zookeeper.jar:*) ;;
	*) die "$suite rootfs has no /usr/share/java/zookeeper.jar" ;;
	esac
	echo "$cp" >"$work/overlay/etc/zkgo/classpath"
	echo "$version" >"$work/overlay/etc/zkgo/zookeeper-version"
	install -m 0755 "$REPO/docker/java/entrypoint.sh" "$work/overlay/usr/local/bin/zkgo-java-entrypoint"
	cp "$tar" "$work/image.tar"
	# Only new paths: docker import refuses a tar that names a path twice.
	tar --numeric-owner --owner=0 --group=0 -C "$work/overlay" -rf "$work/image.tar" \
		./etc/zkgo ./usr/local/bin/zkgo-java-entrypoint ./conf ./data
	rm -rf "$work/root"
	local old
	old=$(image_id "$image")
	docker import \
		--change 'ENTRYPOINT ["/usr/local/bin/zkgo-java-entrypoint"]' \
		--change "ENV PATH=$PATH_ENV" \
		--change "LABEL zkgo.inputs=$hash" \
		--change "LABEL zkgo.zookeeper-version=$version" \
		--change "LABEL zkgo.debian-suite=$suite" \
		--message "Apache ZooKeeper $version from Debian $suite (docker/build.sh)" \
		"$work/image.tar" "$image" >/dev/null || die "docker import $image failed"
	drop_old "$old"
	record_time "image $image (${hash:0:12})" "$(since "$t0")"
}

# ---------------------------------------------------------------------------------------------

main() {
	while [ $# -gt 0 ]; do
		case $1 in
		-f) FORCE=$((FORCE + 1)) ;;
		-q) QUIET=1 ;;
		-h | --help)
			sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
			return 0
			;;
		-*) die "unknown flag $1" ;;
		*) break ;;
		esac
		shift
	done
	local -a targets=("$@")
	[ ${#targets[@]} -gt 0 ] || targets=(all)
	local -a todo=()
	local t
	for t in "${targets[@]}"; do
		case $t in
		all) todo+=(zkgo java-3.4.13 java-3.8.0 java-3.9.3) ;;
		java) todo+=(java-3.4.13 java-3.8.0 java-3.9.3) ;;
		zkgo | java-3.4.13 | java-3.8.0 | java-3.9.3) todo+=("$t") ;;
		*) die "unknown target $t (zkgo, java, java-3.4.13, java-3.8.0, java-3.9.3, all)" ;;
		esac
	done
	command -v docker >/dev/null || die "missing tool: docker"
	command -v flock >/dev/null || die "missing tool: flock (package util-linux)"
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock"
	flock 9 || die "cannot lock $CACHE/.lock"

	# Root filesystems that need a debootstrap are made in parallel (network and dpkg bound).
	local -a pids=() suites=()
	local v s
	for t in "${todo[@]}"; do
		case $t in java-*)
			v=${t#java-}
			s=$(suite_for "$v")
			if [ "$FORCE" -ge 2 ] || [ "$(cat "$CACHE/rootfs-$s.tar.inputs" 2>/dev/null)" != "$(rootfs_inputs "$s")" ]; then
				if [ "$FORCE" -ge 1 ] || [ "$(image_label "$JAVA_REPO:$v")" != "$(java_inputs "$v")" ]; then
					make_rootfs "$s" &
					pids+=($!)
					suites+=("$s")
				fi
			fi
			;;
		esac
	done
	local i rc=0
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || {
			say "root filesystem ${suites[$i]} failed"
			rc=1
		}
	done
	[ $rc = 0 ] || exit 1
	[ "$FORCE" -lt 2 ] || FORCE=1 # the root filesystems are fresh now
	# One image failing does not stop the others (each build runs in a subshell: die exits it).
	local -a failed=()
	for t in "${todo[@]}"; do
		case $t in
		zkgo) (build_zkgo) || failed+=("$t") ;;
		java-*) (build_java "${t#java-}") || failed+=("$t") ;;
		esac
	done
	[ ${#failed[@]} = 0 ] || die "failed: ${failed[*]}"
}

main "$@"
