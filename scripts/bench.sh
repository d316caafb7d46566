#!/usr/bin/env bash
# Every performance and footprint measurement of h1conn, side by side with
# its peers, in one table.
#
# Usage: scripts/bench.sh [--quick]
#
# Runs, in this order (cheap and load-independent first, timing last):
#   1. scripts/instructions.sh  callgrind instruction counts, h1conn vs
#                               httparse, per corpus head and per exchange;
#   2. scripts/footprint.sh     Cortex-M4F flash, size_of, stack (qemu);
#   3. cargo bench -p h1conn --bench parse --bench exchange
#                               head parsing and whole exchanges, h1conn vs
#                               httparse, same run;
#   4. cargo bench -p h1conn-std --bench throughput
#                               sequential keep-alive GETs: h1conn client vs
#                               ureq, and h1conn keep-alive vs Connection: close.
# then prints one table: each line is "h1conn / peer" (cost ratio: below 1
# means h1conn is cheaper), with the issue's target for it.
#
# Criterion runs are short (0.5 s warm-up, 1.5 s measurement per line;
# --quick: 0.2 s and 0.5 s), so the whole script takes a few minutes once
# built. Times on a shared machine are noisy: trust the instruction counts,
# and compare time ratios only within one run. Installs what the steps need
# (valgrind, llvm-tools, the Cortex-M target, qemu-system-arm).
set -euo pipefail
cd "$(dirname "$0")/.."

warm=0.5
measure=1.5
iterations=20000
for arg in "$@"; do
  case "$arg" in
    --quick) warm=0.2 measure=0.5 iterations=5000 ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }

step "instruction counts"
scripts/instructions.sh "$iterations"

step "footprint"
scripts/footprint.sh

criterion_args=(--warm-up-time "$warm" --measurement-time "$measure" --noplot)
step "head parsing and exchanges (criterion)"
cargo bench --quiet -p h1conn --bench parse --bench exchange -- "${criterion_args[@]}" 2>&1 |
  grep -E '^[A-Za-z_0-9]+/|^ +time: +\[[0-9]' || true

step "client throughput (criterion)"
cargo bench --quiet -p h1conn-std --bench throughput -- "${criterion_args[@]}" 2>&1 |
  grep -E '^[A-Za-z_0-9]+/|^ +time: +\[[0-9]' || true

target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

step "results"
python3 - "$target_dir" <<'PY'
import json
import os
import sys

target = sys.argv[1]
criterion = os.path.join(target, "criterion")
results = os.path.join(target, "bench-results")


def mean_ns(group, function):
    path = os.path.join(criterion, group, function, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["mean"]["point_estimate"]


def tsv(name):
    with open(os.path.join(results, name)) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def fmt_time(ns):
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"


rows = []


def row(what, ours, peer, ratio, target, met):
    mark = "" if met is None else ("yes" if met else "no")
    shown = "" if ratio is None else f"{ratio:.2f}"
    rows.append((what, ours, peer, shown, target, mark))


for group in ("get_small_37B", "browser_request_704B",
              "keepalive_response_326B", "chunked_response_199B"):
    a, b = mean_ns(group, "h1conn"), mean_ns(group, "httparse")
    row(f"parse time {group}", fmt_time(a), fmt_time(b) + " (httparse)",
        a / b, "<= 0.77 (1.3x faster)", a / b <= 1 / 1.3)
a, b = mean_ns("exchange_2x", "h1conn"), mean_ns("exchange_2x", "httparse")
row("exchange time (2 exchanges)", fmt_time(a), fmt_time(b) + " (httparse)",
    a / b, "", None)

for _, name, ours, theirs, ratio in tsv("instructions.tsv"):
    exchange = name.startswith("exchange")
    row(f"instructions {name}", ours, theirs + " (httparse)", float(ratio),
        "" if exchange else "<= 0.80", None if exchange else float(ratio) <= 0.8)

footprint = tsv("footprint.tsv")
flash = {r[1]: int(r[2]) for r in footprint if r[0] == "flash"}
row("flash: parse request + response heads", f"{flash['heads']} B",
    f"{flash['httparse_heads']} B (httparse)",
    flash["heads"] / flash["httparse_heads"], "", None)
row("flash: whole client engine", f"{flash['client']} B", "4096 B (target)",
    flash["client"] / 4096, "<= 4096 B", flash["client"] <= 4096)
stack = {r[1]: int(r[2]) for r in footprint if r[0] == "stack"}
if stack:
    row("stack: parse request + response heads", f"{stack['heads']} B",
        f"{stack['httparse_heads']} B (httparse)",
        stack["heads"] / stack["httparse_heads"], "", None)
    row("stack: one client exchange", f"{stack['client']} B", "", None, "", None)
sizes = [r for r in footprint if r[0] == "size_of"]

a = mean_ns("get_1KiB", "h1conn_keep_alive")
b = mean_ns("get_1KiB", "ureq_keep_alive")
row("GET /bytes/1024, keep-alive", fmt_time(a), fmt_time(b) + " (ureq)",
    a / b, "<= 1.00", a / b <= 1.0)
c = mean_ns("get_1KiB", "h1conn_close")
row("GET /bytes/1024, h1conn keep-alive vs close", fmt_time(a),
    fmt_time(c) + " (Connection: close)", a / c, "", None)

header = ("measure", "h1conn", "peer", "h1conn / peer", "target", "met")
print("| " + " | ".join(header) + " |")
print("| --- | ---: | ---: | ---: | --- | --- |")
for r in rows:
    print("| " + " | ".join(r) + " |")
print()
print("size_of (thumbv7em / x86_64): " + ", ".join(
    f"{name} {thumb}/{host}" for _, name, thumb, host in sizes))
PY
