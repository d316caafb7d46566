#!/usr/bin/env bash
# Instruction counts of h1conn and httparse on the same inputs, by callgrind.
#
# Usage: scripts/instructions.sh [iterations]   (default 20000)
#
# Instruction counts do not depend on the machine's load, so they compare
# runs made at different times, unlike wall-clock benchmarks. For each
# corpus head (core/testdata/corpus/*.http) the `parse_loop` tool (`tools/`) parses
# it `iterations` times with h1conn and with httparse; for the exchange,
# the `exchange_loop` tool runs the work of the `exchange` bench (two
# keep-alive exchanges per iteration through a client and a server
# Connection, or the same job by hand around httparse). A run with zero
# iterations is subtracted, so process start-up does not count.
#
# Prints a table: instructions per message (per exchange for the last row)
# and the ratio h1conn / httparse (below 1: h1conn runs fewer). Results also
# go to target/bench-results/instructions.tsv (for bench.sh). Installs
# valgrind with apt-get if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

iterations=${1:-20000}

if ! command -v valgrind >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends valgrind >/dev/null
fi

cargo build --quiet --release -p h1conn-tools --bin parse_loop --bin exchange_loop
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
examples="$target_dir/release"

# Instructions executed by a command, as callgrind counts them.
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

# Instructions per iteration of a command whose iteration-count argument
# is written ITER.
per_iteration() {
  local with=() without=() arg
  for arg in "$@"; do
    with+=("${arg/ITER/$iterations}")
    without+=("${arg/ITER/0}")
  done
  local full empty
  full=$(count "${with[@]}")
  empty=$(count "${without[@]}")
  echo $(((full - empty) / iterations))
}

out="$(pwd)/target/bench-results"
mkdir -p "$out"
tsv="$out/instructions.tsv"
: >"$tsv"

echo
echo "Instructions per message (callgrind, $iterations iterations, start-up subtracted;"
echo "httparse with 32 header slots; httparse + facts: httparse and the field walk"
echo "its user writes to learn what HeadFacts holds, core/benches/support/peer.rs):"
echo
echo "| input | bytes | h1conn | httparse | httparse + facts | h1conn / httparse | h1conn / (httparse + facts) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
row() {
  local name=$1 bytes=$2 ours=$3 theirs=$4 facts=$5
  local ratio ratio_facts
  ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }')
  ratio_facts=$(awk -v a="$ours" -v b="$facts" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  echo "| $name | $bytes | $ours | $theirs | $facts | ${ratio}x | ${ratio_facts}x |"
  printf 'instructions\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$bytes" "$ours" "$theirs" "$facts" "$ratio" "$ratio_facts" >>"$tsv"
}
# Smallest head first.
for file in $(ls -S -r core/testdata/corpus/*.http); do
  name=$(basename "$file" .http)
  bytes=$(wc -c <"$file")
  ours=$(per_iteration "$examples/parse_loop" "$file" ITER)
  theirs=$(per_iteration "$examples/parse_loop" "$file" ITER httparse)
  facts=$(per_iteration "$examples/parse_loop" "$file" ITER httparse_facts)
  row "$name" "$bytes" "$ours" "$theirs" "$facts"
done
# Two exchanges per iteration: report per exchange.
ours=$(per_iteration "$examples/exchange_loop" ITER)
theirs=$(per_iteration "$examples/exchange_loop" ITER httparse)
row "exchange (per exchange, both ends)" "-" "$((ours / 2))" "$((theirs / 2))" "-"
