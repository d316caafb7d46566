#!/usr/bin/env bash
# Fuzzing in CI: installs what it needs, builds every target, then runs each
# one for a short fixed time from the committed seeds. Any crash, panic or
# failed invariant fails the script (libFuzzer exits non-zero and leaves the
# input in fuzz/artifacts/<target>/; the end of its log is printed). Called from .ci/run as `bash fuzz/ci.sh`.
#
# FUZZ_SECONDS sets the time per target (default 20: ten targets, about
# 3.5 minutes in all).
set -euo pipefail
cd "$(dirname "$0")"

seconds="${FUZZ_SECONDS:-20}"

if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi

cargo +nightly fuzz build
bash seed.sh

# Targets that read raw bytes get the HTTP dictionary; the others read
# `arbitrary` structures, for which the words mean nothing.
raw_targets=" request_head response_head connection_tokens keep_alive chunked diff_httparse "
for target in $(cargo +nightly fuzz list); do
  dict=()
  if [[ "$raw_targets" == *" $target "* ]]; then
    dict=(-dict=http.dict)
  fi
  echo "==> fuzzing $target for ${seconds}s"
  log="$(mktemp)"
  if ! cargo +nightly fuzz run "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 "${dict[@]}" >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz target $target failed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E 'stat::number_of_executed_units' "$log" || true
  rm -f "$log"
done
echo "fuzzing passed"
