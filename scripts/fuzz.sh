#!/usr/bin/env bash
# fuzz.sh: run every Go fuzz target of the module for a while (`make fuzz`).
#
# Usage: scripts/fuzz.sh [TIME]     (default 5s per target; any -fuzztime value)
#
# Targets are found with `go test -list 'Fuzz.*'` over the packages that define them; each runs in its own package with
# -run '^$' so that only the fuzzer runs. Every target runs even when an earlier one fails;
# the script fails if any did. A failing input is saved by Go under the package's
# testdata/fuzz/<Target>/ and becomes a regression case of plain `go test`.
set -euo pipefail

TIME=${1:-5s}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

# `go test -list` prints a package's matching names, then "ok <pkg> ..." for that package.
# Only packages that define fuzz targets are listed: listing runs each test binary (and its
# TestMain: the interop package would build Docker images just to be listed).
mapfile -t pkgs < <(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' | xargs -n1 dirname | sed 's|^|./|' | sort -u)
if [ ${#pkgs[@]} -eq 0 ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi
if ! listing=$(go test -list 'Fuzz.*' "${pkgs[@]}" 2>&1); then
	printf '%s\n' "$listing" >&2
	echo "fuzz: listing the fuzz targets failed" >&2
	exit 1
fi
targets=()
pending=()
while IFS=$'\t ' read -r first second _; do
	case $first in
	Fuzz*) pending+=("$first") ;;
	ok)
		for name in "${pending[@]}"; do
			targets+=("$second $name")
		done
		pending=()
		;;
	esac
done <<<"$listing"

if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi

failed=()
for t in "${targets[@]}"; do
	pkg=${t% *}
	name=${t#* }
	echo "fuzz: $pkg $name ($TIME)"
	if ! out=$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "$TIME" "$pkg" 2>&1); then
		# Go's fuzzer sometimes reports the end of -fuzztime itself as a failure ("context
		# deadline exceeded", no failing input written) when a worker is mid-input on a busy
		# machine. That is not a finding: run the target once more. A real crash writes an
		# input under testdata/fuzz and fails again.
		if grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input written' <<<"$out"; then
			echo "fuzz: $pkg $name: fuzzer deadline flake, running it again"
			out=$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "$TIME" "$pkg" 2>&1) && continue
		fi
		printf '%s\n' "$out"
		failed+=("$pkg $name")
	fi
done

if [ ${#failed[@]} -gt 0 ]; then
	printf 'fuzz: FAILED: %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "fuzz: ${#targets[@]} targets passed"
