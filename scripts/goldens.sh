#!/usr/bin/env bash
# goldens.sh: regenerate jute/goldens/testdata/<version>/ with Java ZooKeeper itself.
#
# Usage: scripts/goldens.sh [VERSION...]     (default: 3.4.13 3.8.0 3.9.3)
#
# For each version: fetch the jars (scripts/fetch-java.sh), compile jute/goldens/java/Goldens.java
# plus the Multi.java of that version's client API against them, and run it; it rewrites the
# version's testdata folder from scratch. This is the only writer of golden files: commit what
# it produces. The Go tests (go test ./jute/goldens) need no Java.
#
# Environment: ZKGO_JAVA_CACHE as for fetch-java.sh (default <repo>/.cache/java).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${ZKGO_JAVA_CACHE:-$REPO/.cache/java}
SRC=$REPO/jute/goldens/java
OUT=$REPO/jute/goldens/testdata
VERSIONS=("$@")
[ ${#VERSIONS[@]} -gt 0 ] || VERSIONS=(3.4.13 3.8.0 3.9.3)

die() {
	printf 'goldens: error: %s\n' "$*" >&2
	exit 1
}

bash "$REPO/scripts/fetch-java.sh" "${VERSIONS[@]}"
command -v javac >/dev/null || die "javac not found (install a JDK, e.g. openjdk-17-jdk-headless)"

for v in "${VERSIONS[@]}"; do
	case $v in
	3.4.*) multi=multi-3.4 ;;
	*) multi=multi-3.8 ;;
	esac
	cp=$(cat "$CACHE/$v/classpath")
	java=$(cat "$CACHE/$v/java")
	classes=$(mktemp -d)
	trap 'rm -rf "$classes"' EXIT
	# --release 8: the jars' own JRE may be older than this javac.
	javac -nowarn -encoding UTF-8 --release 8 -cp "$cp" -d "$classes" \
		"$SRC/Goldens.java" "$SRC/$multi/Multi.java"
	rm -rf "${OUT:?}/$v"
	mkdir -p "$OUT/$v"
	"$java" -Dfile.encoding=UTF-8 -cp "$classes:$cp" Goldens "$v" "$OUT/$v"
	rm -rf "$classes"
	trap - EXIT
done
