#!/usr/bin/env bash
# gozk-suite.sh: run go-zookeeper/zk's own test suite (v1.0.4) against zkgo and against Java
# ZooKeeper 3.9.3, side by side.
#
# Usage: scripts/gozk-suite.sh [zkgo|java|both]      (default both)
#
# The suite's integration tests start every server themselves through
# $ZOOKEEPER_BIN_PATH/zkServer.sh start-foreground <zoo.cfg> (zoo.cfg holds dataDir,
# clientPort and, for clusters, server.N lines; myid is in dataDir) and pass
# SERVER_JVMFLAGS with -Dzookeeper.* options. This script writes one wrapper zkServer.sh per
# target into a scratch folder:
#   zkgo   copies zoo.cfg, appends clientPortAddress=127.0.0.1 and one line X=Y per
#          -Dzookeeper.X=Y of SERVER_JVMFLAGS (zoo.cfg keys become zookeeper.* properties, as
#          in Java's QuorumPeerConfig), then execs `zkgo server <copy>`.
#   java   copies zoo.cfg, appends clientPortAddress=127.0.0.1, then execs
#          `java -cp <3.9.3 classpath> $SERVER_JVMFLAGS QuorumPeerMain <copy>`.
# The module source comes from the Go module proxy (`go mod download`) and is copied into the
# scratch folder; nothing of it is committed. Two local changes are made to the copy, with sed:
#   flw.go       FLWSrvr's srvr pattern accepts the version/date format of ZooKeeper >= 3.7
#                ("3.9.3-${mvngit.commit.id}, built on 2026-03-08 16:19 UTC") and zkgo's
#                ("3.9.3-zkgo, built on 2026-11-22 00:00 UTC") besides the <= 3.6 one
#                ("3.4.6-1569965, built on 02/20/2014 09:09 GMT"), and parses either date.
#                Without it every integration test fails with "unable to verify health of
#                servers" against any 3.7+ server.
#   zk_test.go   the reconfig tests' client address ";<port>" (which means 0.0.0.0:<port>)
#                becomes ";127.0.0.1:<port>", so no server ever binds beyond loopback.
#
# Each top-level test runs in its own process of the suite's test binary (a panic or hang costs
# only that test). Output: per target, pass/fail/skip counts of the top-level tests,
# then a side-by-side table. Exit status (both): 1 when zkgo passes fewer tests than Java or
# any test that passes on Java does not pass on zkgo (they are listed); (one target): 1 when
# any test fails. 2 on a set-up error.
#
# Environment:
#   GOZK_WORK     scratch folder (default: a new mktemp -d; kept, its path is printed)
#   GOZK_RUN      go test -run pattern (default: all tests)
#   GOZK_TIMEOUT  -test.timeout of each test (default 5m)
#   GOZK_RETRIES  runs more of a failing test (default 1; a later pass counts, marked flaky)
#   GOZK_PARALLEL 1: run the two targets at the same time (default 0: one after the other)
#   ZKGO_BIN      zkgo binary to use (default: built from this repository into the scratch
#                 folder)
#   ZKGO_JAVA_CACHE  as for scripts/fetch-java.sh
set -euo pipefail

# The whole script is one block, so bash has read all of it before running any: an edit to
# the file during a run does not change that run.
{

GOZK_VERSION=v1.0.4
ZK_JAVA_VERSION=3.9.3

TARGET=${1:-both}
case $TARGET in
zkgo | java | both) ;;
*)
	echo "usage: $0 [zkgo|java|both]" >&2
	exit 2
	;;
esac

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${GOZK_WORK:-$(mktemp -d -t gozk-suite.XXXXXX)}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
RUN=${GOZK_RUN:-}
TIMEOUT=${GOZK_TIMEOUT:-5m}
RETRIES=${GOZK_RETRIES:-1}

log() { printf 'gozk-suite: %s\n' "$*" >&2; }
die() {
	printf 'gozk-suite: error: %s\n' "$*" >&2
	exit 2
}

log "scratch folder $WORK"

# --- go-zookeeper/zk source -----------------------------------------------------------------

SRC=$WORK/src
if [[ ! -f $SRC/.patched ]]; then
	# Outside any module, so that nothing in this repository's go.mod/go.sum changes.
	info=$(cd "$WORK" && GO111MODULE=on GOFLAGS=-mod=mod go mod download -json "github.com/go-zookeeper/zk@$GOZK_VERSION") ||
		die "go mod download github.com/go-zookeeper/zk@$GOZK_VERSION failed: $info"
	moddir=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[[ -d $moddir ]] || die "go mod download gave no module folder: $info"
	rm -rf "$SRC"
	cp -r "$moddir" "$SRC"
	chmod -R u+w "$SRC"

	# flw.go: the srvr pattern (version: anything up to the comma; date: either format) ...
	sed -i 's#zrVer   = `^Zookeeper version: (\[A-Za-z0-9\\.\\-\]+), built on (\\d\\d/\\d\\d/\\d\\d\\d\\d \\d\\d:\\d\\d \[A-Za-z0-9:\\+\\-\]+)`#zrVer   = `^Zookeeper version: ([^,\\n]+), built on (\\d\\d/\\d\\d/\\d\\d\\d\\d \\d\\d:\\d\\d [A-Za-z0-9:\\+\\-]+|\\d\\d\\d\\d-\\d\\d-\\d\\d \\d\\d:\\d\\d [A-Za-z0-9:\\+\\-]+)`#' "$SRC/flw.go"
	# ... and the date parse (the layout picked by the format seen).
	sed -i 's#buildTime, err := time.Parse("01/02/2006 15:04 MST", match\[1\])#buildTime, err := time.Parse(map[bool]string{false: "01/02/2006 15:04 MST", true: "2006-01-02 15:04 MST"}[match[1][4] == 0x2d], match[1])#' "$SRC/flw.go"
	grep -q 'built on (\\d\\d/\\d\\d/\\d\\d\\d\\d \\d\\d:\\d\\d \[A-Za-z0-9:\\+\\-\]+|\\d\\d\\d\\d-' "$SRC/flw.go" ||
		die "flw.go: the srvr pattern was not patched (did the source change?)"
	grep -q '"2006-01-02 15:04 MST"}\[match\[1\]\[4\] == 0x2d\]' "$SRC/flw.go" ||
		die "flw.go: the build date parse was not patched (did the source change?)"
	# zk_test.go: reconfig server lines give the client address as loopback.
	n=$(grep -c ':%d:%d;%d' "$SRC/zk_test.go" || true)
	[[ $n == 3 ]] || die "zk_test.go: expected 3 reconfig server lines, found $n"
	sed -i 's#:%d:%d;%d#:%d:%d;127.0.0.1:%d#' "$SRC/zk_test.go"
	touch "$SRC/.patched"
fi

# --- servers --------------------------------------------------------------------------------

# write_wrapper NAME WHAT BODY: $WORK/NAME-bin/zkServer.sh, which checks its arguments, copies
# zoo.cfg to <zoo.cfg>.NAME with clientPortAddress=127.0.0.1 (the suite writes none, so a
# server would bind every address) and then runs BODY (which execs the server on "$cfg").
write_wrapper() {
	mkdir -p "$WORK/$1-bin"
	{
		printf '#!/usr/bin/env bash\n'
		printf "# zkServer.sh for go-zookeeper/zk's tests: start-foreground <zoo.cfg> runs %s.\n" "$2"
		printf 'set -eu\n'
		printf '[[ ${1:-} == start-foreground && -n ${2:-} ]] || { echo "usage: $0 start-foreground <zoo.cfg>" >&2; exit 2; }\n'
		printf 'cfg=$2.%s\n' "$1"
		printf 'cp "$2" "$cfg"\n'
		printf "grep -q '^clientPortAddress=' \"\$cfg\" || echo clientPortAddress=127.0.0.1 >>\"\$cfg\"\n"
		printf '%s\n' "$3"
	} >"$WORK/$1-bin/zkServer.sh"
	chmod +x "$WORK/$1-bin/zkServer.sh"
}

if [[ $TARGET != java ]]; then
	if [[ -n ${ZKGO_BIN:-} ]]; then
		ZKGO=$(cd "$(dirname "$ZKGO_BIN")" && pwd)/$(basename "$ZKGO_BIN")
	else
		ZKGO=$WORK/zkgo
		log "building zkgo"
		(cd "$REPO" && go build -o "$ZKGO" ./cmd/zkgo) || die "go build ./cmd/zkgo failed"
	fi
	[[ -x $ZKGO ]] || die "$ZKGO is not executable"
	# -Dzookeeper.X=Y becomes the zoo.cfg line X=Y (zkgo reads zookeeper.* settings from there).
	write_wrapper zkgo zkgo "for f in \${SERVER_JVMFLAGS:-}; do
	case \$f in
	-Dzookeeper.*=*) echo \"\${f#-Dzookeeper.}\" >>\"\$cfg\" ;;
	esac
done
exec \"$ZKGO\" server \"\$cfg\""
fi

if [[ $TARGET != zkgo ]]; then
	CACHE=${ZKGO_JAVA_CACHE:-$REPO/.cache/java}
	if [[ ! -f $CACHE/$ZK_JAVA_VERSION/stamp ]]; then
		log "fetching Java ZooKeeper $ZK_JAVA_VERSION"
		bash "$REPO/scripts/fetch-java.sh" "$ZK_JAVA_VERSION" >&2 || die "scripts/fetch-java.sh $ZK_JAVA_VERSION failed"
	fi
	CP=$(cat "$CACHE/$ZK_JAVA_VERSION/classpath")
	JAVA=$(cat "$CACHE/$ZK_JAVA_VERSION/java")
	[[ -n $CP && -x $JAVA ]] || die "$CACHE/$ZK_JAVA_VERSION: no classpath or java"
	write_wrapper java "Java ZooKeeper $ZK_JAVA_VERSION" "# shellcheck disable=SC2086
exec \"$JAVA\" -Xmx256m -XX:+UseSerialGC -cp \"$CP\" \${SERVER_JVMFLAGS:-} org.apache.zookeeper.server.quorum.QuorumPeerMain \"\$cfg\""
fi

# --- runs -----------------------------------------------------------------------------------

# The suite's test binary, built once. Each top-level test then runs in a process of its own,
# so a test that panics (several do when their servers never come up) or hangs costs only
# itself.
(cd "$SRC" && GOFLAGS=-mod=mod go test -c -o "$WORK/zk.test" .) || die "go test -c of go-zookeeper/zk failed"
mapfile -t TESTS < <(cd "$SRC" && "$WORK/zk.test" -test.list "${RUN:-.}" | grep '^Test')
((${#TESTS[@]} > 0)) || die "no test matches ${RUN:-.}"

# outcome FILE TEST: "STATUS SECONDS" of top-level test TEST in the test2json stream FILE;
# a test that started and never ended (panic, timeout) or never started is FAIL.
# (test2json writes the fields in a fixed order: Time, Action, Package, Test, Elapsed.)
outcome() {
	sed -n 's/.*"Action":"\(pass\|fail\|skip\)","Package":"[^"]*","Test":"\([^"]*\)"\(,"Elapsed":\([0-9.]*\)\)\{0,1\}.*/\2 \1 \4/p' "$1" |
		awk -v t="$2" '$1 == t { st = toupper($2); el = ($3 == "" ? 0 : $3) } END { print (st == "" ? "FAIL -" : st " " el) }'
}

# run_target NAME: every test with that target's zkServer.sh, each in its own process; a test
# that fails is run once more (GOZK_RETRIES) and counts as passed, marked flaky, when the
# retry passes. Writes $WORK/NAME.json (the go test -json event streams of every run),
# $WORK/NAME.results ("Test STATUS SECONDS RUNS" per test) and $WORK/NAME.time (wall seconds).
run_target() {
	local name=$1 start end test try st el
	log "$name: running ${#TESTS[@]} go-zookeeper/zk $GOZK_VERSION tests"
	: >"$WORK/$name.json"
	: >"$WORK/$name.results"
	mkdir -p "$WORK/$name.runs"
	start=$(date +%s.%N)
	for test in "${TESTS[@]}"; do
		for ((try = 1; try <= 1 + RETRIES; try++)); do
			(cd "$SRC" && ZOOKEEPER_BIN_PATH=$WORK/$name-bin ZK_VERSION=$ZK_JAVA_VERSION \
				"$WORK/zk.test" -test.run "^$test\$" -test.count=1 -test.timeout "$TIMEOUT" -test.v=test2json 2>&1 |
				go tool test2json -t -p github.com/go-zookeeper/zk >"$WORK/$name.runs/$test.$try.json") || true
			cat "$WORK/$name.runs/$test.$try.json" >>"$WORK/$name.json"
			read -r st el < <(outcome "$WORK/$name.runs/$test.$try.json" "$test")
			[[ $st == FAIL ]] || break
			((try <= RETRIES)) && log "$name: $test failed (${el}s), running it again"
		done
		((try > 1 + RETRIES)) && try=$((1 + RETRIES))
		echo "$test $st $el $try" >>"$WORK/$name.results"
	done
	end=$(date +%s.%N)
	awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f\n", e - s }' >"$WORK/$name.time"
}

counts() { # counts NAME -> "pass fail skip"
	awk '{ c[$2]++ } END { printf "%d %d %d\n", c["PASS"], c["FAIL"], c["SKIP"] }' "$WORK/$1.results"
}

targets=()
case $TARGET in
both) targets=(zkgo java) ;;
*) targets=("$TARGET") ;;
esac

if [[ ${GOZK_PARALLEL:-0} == 1 && ${#targets[@]} == 2 ]]; then
	run_target zkgo &
	p1=$!
	run_target java &
	p2=$!
	wait $p1 || die "zkgo run failed"
	wait $p2 || die "java run failed"
else
	for t in "${targets[@]}"; do
		run_target "$t" || die "$t run failed"
	done
fi

# --- report ---------------------------------------------------------------------------------

# cell: "PASS 1.2s", "PASS* 3.1s" (passed on a later run: flaky), "FAIL", "SKIP", "-" (not run).
CELL='function cell(r,  a) { if (r == "") return "-"; split(r, a, " "); return a[1] (a[1] == "PASS" && a[3] > 1 ? "*" : "") (a[2] != "-" && a[1] != "FAIL" ? " " a[2] "s" : "") }'

echo
echo "go-zookeeper/zk $GOZK_VERSION test suite${RUN:+ (-run $RUN)}"
for t in "${targets[@]}"; do
	read -r p f s < <(counts "$t")
	label=$t
	[[ $t == java ]] && label="java $ZK_JAVA_VERSION"
	flaky=$(awk '$2 == "PASS" && $4 > 1 { n++ } END { print n + 0 }' "$WORK/$t.results")
	printf '  %-11s %3d passed (%d on a retry), %3d failed, %3d skipped, %3d tests  (%ss)\n' \
		"$label" "$p" "$flaky" "$f" "$s" $((p + f + s)) "$(cat "$WORK/$t.time")"
done
echo

status=0
if [[ ${#targets[@]} == 2 ]]; then
	printf '%-45s %-13s %-13s\n' TEST zkgo "java $ZK_JAVA_VERSION"
	awk "$CELL"'
		FNR == 1 { file++ }
		file == 1 { z[$1] = $2 " " $3 " " $4; next }
		{ j[$1] = $2 " " $3 " " $4; order[n++] = $1 }
		END {
			for (k in z) if (!(k in j)) order[n++] = k
			for (i = 0; i < n; i++) {
				k = order[i]; split(z[k], za, " "); split(j[k], ja, " ")
				printf "%-45s %-13s %-13s%s\n", k, cell(z[k]), cell(j[k]), (ja[1] == "PASS" && za[1] != "PASS" ? "  <<" : "")
			}
		}' "$WORK/zkgo.results" "$WORK/java.results"
	echo "(* passed on a retry)"
	echo
	read -r zp _ _ < <(counts zkgo)
	read -r jp _ _ < <(counts java)
	regressions=$(awk 'FNR == 1 { file++ } file == 1 { z[$1] = $2; next } $2 == "PASS" && z[$1] != "PASS" { print $1 }' \
		"$WORK/zkgo.results" "$WORK/java.results")
	if [[ -n $regressions ]]; then
		echo "passing on Java $ZK_JAVA_VERSION, not on zkgo:"
		printf '  %s\n' $regressions
		status=1
	fi
	if ((zp < jp)); then
		echo "zkgo passes fewer tests ($zp) than Java $ZK_JAVA_VERSION ($jp)"
		status=1
	fi
	((status == 0)) && echo "zkgo passes every test Java $ZK_JAVA_VERSION passes ($zp vs $jp)"
else
	t=${targets[0]}
	awk "$CELL"'{ printf "%-45s %s\n", $1, cell($2 " " $3 " " $4) }' "$WORK/$t.results"
	echo "(* passed on a retry)"
	failed=$(awk '$2 == "FAIL" { print $1 }' "$WORK/$t.results")
	if [[ -n $failed ]]; then
		echo
		echo "failed on $t:"
		printf '  %s\n' $failed
		status=1
	fi
fi
echo
for t in "${targets[@]}"; do echo "log ($t): $WORK/$t.json"; done
exit $status
}
