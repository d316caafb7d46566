#!/usr/bin/env bash
# Every performance and footprint measurement of h1conn, side by side with
# its peers, in one table: the table README's "Performance and footprint"
# section quotes.
#
# Usage: scripts/bench.sh [--quick] [--runs N] [--no-throughput]
#
# Runs, in this order (cheap and load-independent first, timing last):
#   1. scripts/instructions.sh  callgrind instruction counts per corpus head
#                               (core/testdata/corpus/*.http, 27 B to 1.5 KiB)
#                               for h1conn, httparse (32 header slots) and
#                               httparse + facts (httparse and the field walk
#                               its user writes to learn what HeadFacts
#                               holds), and per exchange;
#   2. scripts/footprint.sh     Cortex-M4F flash, size_of (no qemu stack run);
#   3. N times (default 3): cargo bench -p h1conn --bench parse --bench exchange
#                               the same heads and whole exchanges, all peers
#                               in the same run; each run's means are kept;
#                               then cargo bench -p h1conn --bench paired:
#                               h1conn and httparse on each head in
#                               alternating short blocks (both meet the same
#                               moments of a shared machine); the median
#                               ratio over the pairs is the run's ratio;
#   4. unless --no-throughput: cargo bench -p h1conn-std --bench throughput
#                               sequential keep-alive GETs: h1conn client vs
#                               ureq, and h1conn keep-alive vs Connection: close.
# then prints the date and one table per part. Ratios are "h1conn / peer"
# (below 1 means h1conn is cheaper). Time ratios are given as the range
# (lowest-highest) over the N runs, never the best run alone.
#
# Criterion runs are short (0.5 s warm-up, 1.5 s measurement per line;
# --quick: 0.2 s and 0.5 s). Times on a shared machine are noisy: trust the
# instruction counts, and compare time ratios only within one run. Installs
# what the steps need (valgrind, llvm-tools, the Cortex-M target).
set -euo pipefail
cd "$(dirname "$0")/.."

warm=0.5
measure=1.5
iterations=20000
runs=3
paired_rounds=1001
throughput=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) warm=0.2 measure=0.5 iterations=5000 paired_rounds=301 ;;
    --runs) runs=$2; shift ;;
    --no-throughput) throughput=0 ;;
    -h | --help) sed -n '2,36p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

step() { printf '\n==> %s\n' "$*"; }

target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
results="$(pwd)/target/bench-results"
mkdir -p "$results"

step "instruction counts"
scripts/instructions.sh "$iterations"

step "footprint"
scripts/footprint.sh --no-stack

criterion_args=(--warm-up-time "$warm" --measurement-time "$measure" --noplot)
rm -f "$results"/times-*.tsv "$results"/paired-*.tsv
for run in $(seq 1 "$runs"); do
  step "head parsing and exchanges (criterion), run $run of $runs"
  cargo bench --quiet -p h1conn --bench parse --bench exchange -- "${criterion_args[@]}" 2>&1 |
    grep -E '^[A-Za-z_0-9]+/|^ +time: +\[[0-9]' || true
  step "head parsing, h1conn and httparse in alternating blocks, run $run of $runs"
  PAIRED_ROUNDS=$paired_rounds cargo bench --quiet -p h1conn --bench paired | tee "$results/paired-$run.tsv"
  # Keep this run's means: criterion overwrites them on the next run.
  python3 - "$target_dir/criterion" "$results/times-$run.tsv" <<'PY'
import json, os, sys
root, out = sys.argv[1], sys.argv[2]
with open(out, "w") as f:
    for group in sorted(os.listdir(root)):
        for function in ("h1conn", "httparse", "httparse_facts"):
            path = os.path.join(root, group, function, "new", "estimates.json")
            if os.path.exists(path):
                with open(path) as e:
                    mean = json.load(e)["mean"]["point_estimate"]
                f.write(f"{group}\t{function}\t{mean}\n")
PY
done

if [ "$throughput" = 1 ]; then
  step "client throughput (criterion)"
  rm -f "$results/throughput.tsv"
  cargo bench --quiet -p h1conn-std --bench throughput -- "${criterion_args[@]}" 2>&1 |
    grep -E '^[A-Za-z_0-9]+/|^ +time: +\[[0-9]' || true
  python3 - "$target_dir/criterion" "$results/throughput.tsv" <<'PY'
import json, os, sys
root, out = sys.argv[1], sys.argv[2]
with open(out, "w") as f:
    for function in ("h1conn_keep_alive", "ureq_keep_alive", "h1conn_close"):
        path = os.path.join(root, "get_1KiB", function, "new", "estimates.json")
        with open(path) as e:
            f.write(f"{function}\t{json.load(e)['mean']['point_estimate']}\n")
PY
fi

step "results"
python3 - "$results" "$runs" <<'PY'
import datetime
import glob
import os
import sys

results, runs = sys.argv[1], int(sys.argv[2])


def tsv(name):
    with open(os.path.join(results, name)) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def fmt_time(ns):
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"


# Means per run: times[run][(group, function)] = ns
times = []
for path in sorted(glob.glob(os.path.join(results, "times-*.tsv"))):
    with open(path) as f:
        times.append({(g, fn): float(ns) for g, fn, ns in
                      (line.rstrip("\n").split("\t") for line in f if line.strip())})


# Paired time ratios per run: paired[run][name] = (to httparse, to + facts)
paired = []
for path in sorted(glob.glob(os.path.join(results, "paired-*.tsv"))):
    with open(path) as f:
        paired.append({name: (float(a), float(b)) for name, _, a, b in
                       (line.rstrip("\n").split("\t") for line in f if line.strip())})


def paired_range(name, which):
    ratios = [run[name][which] for run in paired if name in run]
    if not ratios:
        return "", None
    lo, hi = min(ratios), max(ratios)
    return f"{lo:.2f}-{hi:.2f}", hi


def ratio_range(group, peer):
    ratios = [t[(group, "h1conn")] / t[(group, peer)] for t in times
              if (group, "h1conn") in t and (group, peer) in t]
    if not ratios:
        return "", None
    lo, hi = min(ratios), max(ratios)
    return f"{lo:.2f}-{hi:.2f}", hi


def mark(value, goal):
    return "" if value is None else ("yes" if value <= goal else "no")


now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
print(f"Run {now}; time ratios: range over {len(paired)} runs of the paired bench "
      f"(heads) and {len(times)} criterion runs (exchange).")
print()
print("Per head: instructions (callgrind) and time, h1conn / peer; httparse with")
print("32 header slots; \"+ facts\": httparse and the field walk its user writes")
print("to learn what HeadFacts holds. Time: in each run, the median over 1001 pairs")
print("of alternating blocks (benches/paired.rs). Goal: <= 1.00 on every head")
print("(stretch <= 0.80).")
print()
print("| head | bytes | instructions h1conn | httparse | httparse + facts "
      "| instr. / httparse | instr. / (httparse + facts) "
      "| time / httparse | time / (httparse + facts) | <= 1.00 |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
exchange = None
worst = []
for row in tsv("instructions.tsv"):
    _, name, size, ours, theirs, facts, ratio, ratio_facts = row
    if size == "-":
        exchange = (ours, theirs, ratio)
        continue
    group = f"{name}_{size}B"
    t_plain, t_plain_hi = paired_range(name, 0)
    t_facts, _ = paired_range(name, 1)
    met = float(ratio) <= 1.0 and (t_plain_hi is None or t_plain_hi <= 1.0)
    worst.append(float(ratio))
    print(f"| {name} | {size} | {ours} | {theirs} | {facts} | {ratio} | {ratio_facts} "
          f"| {t_plain} | {t_facts} | {'yes' if met else 'no'} |")
print()
print(f"Instruction ratio to httparse over all heads: {min(worst):.2f}-{max(worst):.2f}.")

rows = []
if exchange:
    ours, theirs, ratio = exchange
    t, _ = ratio_range("exchange_2x", "httparse")
    rows.append(("keep-alive exchange, both ends: instructions", ours,
                 f"{theirs} (httparse by hand)", ratio))
    rows.append(("same, time", "", "httparse by hand", t))

footprint = tsv("footprint.tsv")
flash = {r[1]: int(r[2]) for r in footprint if r[0] == "flash"}
rows.append(("Cortex-M4F flash: parse a request and a response head",
             f"{flash['heads']} B", f"{flash['httparse_heads']} B (httparse)",
             f"{flash['heads'] / flash['httparse_heads']:.2f}"))
rows.append(("Cortex-M4F flash: whole client engine", f"{flash['client']} B",
             "8192 B (goal this round)", f"{flash['client'] / 8192:.2f}"))
sizes = {r[1]: (r[2], r[3]) for r in footprint if r[0] == "size_of"}
if "Connection" in sizes:
    thumb, host = sizes["Connection"]
    ours = f"{thumb} / {host} B"
    if "Connection_borrowing_Config" in sizes:
        b_thumb, b_host = sizes["Connection_borrowing_Config"]
        ours += f" (borrowing its Config: {b_thumb} / {b_host} B)"
    rows.append(("size_of::<Connection>() (thumbv7em / x86_64)", ours, "64 B (goal)", ""))
if os.path.exists(os.path.join(results, "throughput.tsv")):
    tp = {r[0]: float(r[1]) for r in tsv("throughput.tsv")}
    a, b, c = tp["h1conn_keep_alive"], tp["ureq_keep_alive"], tp["h1conn_close"]
    rows.append(("GET /bytes/1024 over loopback, keep-alive (one run)", fmt_time(a),
                 fmt_time(b) + " (ureq)", f"{a / b:.2f}"))
    rows.append(("same, keep-alive vs Connection: close (one run)", fmt_time(a),
                 fmt_time(c), f"{a / c:.2f}"))
print()
print("| measure | h1conn | peer | h1conn / peer |")
print("| --- | ---: | ---: | ---: |")
for r in rows:
    print("| " + " | ".join(r) + " |")
print()
print("size_of (thumbv7em / x86_64): " + ", ".join(
    f"{name} {thumb}/{host}" for name, (thumb, host) in sizes.items()))
PY
