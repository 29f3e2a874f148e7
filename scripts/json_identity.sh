#!/usr/bin/env bash
# Proves "no behaviour change": runs two faultline binaries over the same inputs and compares their
# outputs (stdout, stderr and exit code) byte for byte. Inputs: fixtures/aug15 (report, events,
# timeline, probes, metrics in their formats), fixtures/aug15-exports (events, report, timeline),
# fixtures/hosts (report: the logs' own story, no probes), the damaged probe and metric files of
# tests/bad, and every .evtx under ../shared/evtx-samples (events, timeline, report). Prints one line per difference and exits 1 if there is any.
#
# Usage: scripts/json_identity.sh BASE NEW
#   BASE, NEW: a faultline binary, or a git revision; a revision is built in a throw-away worktree
#   with its own target dir (FAULTLINE_IDENTITY_TARGET, default /tmp/faultline-identity-target;
#   CARGO_BUILD_JOBS is honoured). NEW defaults to this checkout's target/debug/faultline
#   ($CARGO_TARGET_DIR/debug/faultline when that is set).
#   SAMPLES (env): the sample folder, default ../shared/evtx-samples.
#   KEEP (env): a folder to keep both sides' outputs in, for a diff by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

binary_of() {
  local arg=$1
  if [ -f "$arg" ] && [ -x "$arg" ]; then
    printf '%s\n' "$(cd "$(dirname "$arg")" && pwd)/$(basename "$arg")"
    return
  fi
  local commit
  commit=$(git rev-parse --verify --quiet "$arg^{commit}") || {
    echo "json_identity: '$arg' is neither an executable nor a git revision" >&2
    exit 2
  }
  local tree="/tmp/faultline-identity-$commit"
  local target=${FAULTLINE_IDENTITY_TARGET:-/tmp/faultline-identity-target}
  if [ ! -d "$tree" ]; then
    git worktree add --detach --quiet "$tree" "$commit" >&2
  fi
  (cd "$tree" && CARGO_TARGET_DIR="$target" cargo build --locked --quiet --bin faultline >&2)
  cp "$target/debug/faultline" "$target/faultline-$commit"
  printf '%s\n' "$target/faultline-$commit"
}

[ $# -ge 1 ] || { sed -n '2,/^set -euo/{/^#/p}' "$0" >&2; exit 2; }
base=$(binary_of "$1")
new=$(binary_of "${2:-${CARGO_TARGET_DIR:-target}/debug/faultline}")
samples=${SAMPLES:-../shared/evtx-samples}
out=${KEEP:-$(mktemp -d)}
mkdir -p "$out/base" "$out/new"

fx=fixtures/aug15
cases=(
  "report $fx --format json"
  "report $fx"
  "report $fx --tz America/Los_Angeles"
  "report $fx --format grafana"
  "events $fx --format jsonl"
  "events $fx --format json"
  "events $fx --format csv --tz America/Los_Angeles"
  "events $fx --format table"
  "events $fx --count --format table"
  "events $fx --count --format jsonl"
  "events $fx --format jsonl --threads 1"
  "events $fx --format jsonl --level warning --from 2011-08-15T23:00:00Z"
  "timeline $fx"
  "timeline $fx --format csv"
  "timeline $fx --format jsonl"
  "timeline $fx --format timesketch"
  "timeline $fx --format timesketch-jsonl"
  "probes $fx --format json"
  "probes $fx --format table --tz America/Los_Angeles"
  "probes $fx --format csv"
  "metrics $fx --format json"
  "metrics $fx --format table"
  "metrics $fx --format csv"
  "metrics $fx --resample 5m"
  "events fixtures/aug15-exports --format jsonl"
  "events fixtures/aug15-exports --format json"
  "events fixtures/aug15-exports --format csv"
  "events fixtures/aug15-exports --format table"
  "events fixtures/aug15-exports --count --format jsonl"
  "events fixtures/aug15-exports $fx --format jsonl"
  "report fixtures/aug15-exports $fx --format json"
  "report fixtures/hosts --format json"
  "report fixtures/hosts --input-tz Europe/London"
  "timeline fixtures/aug15-exports --format jsonl"
  "probes tests/bad/probes --format json"
  "metrics tests/bad/metrics tests/bad/pdh --format json"
)
if [ -d "$samples" ]; then
  while IFS= read -r -d '' f; do
    cases+=("events $f --format jsonl" "events $f --format csv" "events $f --count --format jsonl"
      "timeline $f --format jsonl" "report $f --format json")
  done < <(find "$samples" -name '*.evtx' -print0 | sort -z)
else
  echo "json_identity: no samples at $samples (only the fixtures are compared)" >&2
fi

differ=0
n=0
for c in "${cases[@]}"; do
  n=$((n + 1))
  read -r -a argv <<< "$c"
  for side in base new; do
    bin=$base
    [ "$side" = new ] && bin=$new
    set +e
    "$bin" "${argv[@]}" > "$out/$side/$n.out" 2> "$out/$side/$n.err"
    echo "exit $?" > "$out/$side/$n.rc"
    set -e
  done
  for part in out err rc; do
    if ! cmp -s "$out/base/$n.$part" "$out/new/$n.$part"; then
      echo "DIFFERS ($part, case $n): faultline $c"
      differ=1
    fi
  done
done

cd "$root"
if [ "$differ" = 0 ]; then
  echo "json_identity: $n cases, stdout, stderr and exit code identical"
else
  echo "json_identity: differences above; outputs kept in $out"
  exit 1
fi
[ -n "${KEEP:-}" ] || rm -rf "$out"
