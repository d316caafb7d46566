#!/usr/bin/env bash
# Flash, RAM-type sizes and stack of h1conn on a Cortex-M4F, next to httparse.
#
# Usage: scripts/footprint.sh [--no-stack]
#
# Builds the images of footprint/ (its own workspace) for
# thumbv7em-none-eabihf with opt-level "z", LTO, panic=abort and one codegen
# unit, and prints:
#   - flash (.vector_table + .text + .rodata + .data) of each image, and
#     the same minus the `empty` image (the scaffolding every image shares):
#       heads           h1conn parses a request head and a response head
#       httparse_heads  the same with httparse (16 header slots each)
#       client          the whole client engine: one exchange through a
#                       Connection (send_request head writer, parse, policy,
#                       state machine, chunked decoding, timers)
#   - size_of of the public state types on the target (read as symbol sizes
#     from the `sizes` image) and on the host;
#   - unless --no-stack: the stack high-water mark of each image, measured
#     by painting the stack and running the image under qemu-system-arm
#     (mps2-an386, a Cortex-M4 board), installed with apt-get if missing.
#
# Installs what it needs: the Rust target, the llvm-tools component (for
# llvm-size and llvm-nm), and qemu-system-arm for the stack run.
# Results also go to target/bench-results/footprint.tsv (for bench.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

stack=1
for arg in "$@"; do
  case "$arg" in
    --no-stack) stack=0 ;;
    -h | --help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

target=thumbv7em-none-eabihf
rustup target add "$target" >/dev/null 2>&1 || rustup target add "$target"
rustup component add llvm-tools >/dev/null 2>&1 || rustup component add llvm-tools
host=$(rustc -vV | sed -n 's/^host: //p')
tools="$(rustc --print sysroot)/lib/rustlib/$host/bin"
size_tool="$tools/llvm-size"
nm_tool="$tools/llvm-nm"
if [ ! -x "$size_tool" ]; then
  echo "llvm-size not found in $tools (rustup component add llvm-tools)" >&2
  exit 1
fi

out="$root/target/bench-results"
mkdir -p "$out"
tsv="$out/footprint.tsv"
: >"$tsv"

build_dir="$root/target/footprint"
cargo build --quiet --release --manifest-path footprint/Cargo.toml \
  --target "$target" --target-dir "$build_dir"
bin="$build_dir/$target/release"

# Bytes an image puts in flash.
flash() {
  "$size_tool" -A "$1" | awk '
    $1 == ".vector_table" || $1 == ".text" || $1 == ".rodata" || $1 == ".data" { sum += $2 }
    END { print sum + 0 }'
}

empty=$(flash "$bin/empty")
declare -A net
echo
echo "Flash on $target (opt-level z, LTO, panic=abort), bytes:"
echo
echo "| image | flash | minus empty image |"
echo "| --- | ---: | ---: |"
echo "| empty (scaffolding) | $empty | 0 |"
for image in heads httparse_heads client; do
  bytes=$(flash "$bin/$image")
  net[$image]=$((bytes - empty))
  echo "| $image | $bytes | ${net[$image]} |"
  printf 'flash\t%s\t%s\n' "$image" "${net[$image]}" >>"$tsv"
done
awk -v a="${net[heads]}" -v b="${net[httparse_heads]}" \
  'BEGIN { printf "\nheads h1conn / httparse: %.2fx\n", a / b }'

echo
echo "size_of the public state types, bytes:"
echo
echo "| type | $target | $host |"
echo "| --- | ---: | ---: |"
host_sizes=$(cargo run --quiet --release -p h1conn-tools --bin sizes)
"$nm_tool" --print-size --defined-only "$bin/sizes" |
  awk '$4 ~ /^SIZE_OF_/ { sub(/^SIZE_OF_/, "", $4); print $4, $2 }' |
  while read -r name hex; do
    size=$((16#$hex))
    host_size=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$host_sizes")
    echo "| $name | $size | $host_size |"
    printf 'size_of\t%s\t%s\t%s\n' "$name" "$size" "$host_size" >>"$tsv"
  done

if [ "$stack" = 0 ]; then
  echo
  echo "stack: skipped (--no-stack)"
  exit 0
fi
if ! command -v qemu-system-arm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends qemu-system-arm >/dev/null
fi
stack_dir="$root/target/footprint-stack"
cargo build --quiet --release --manifest-path footprint/Cargo.toml \
  --target "$target" --target-dir "$stack_dir" --features stack
echo
echo "Stack high-water under qemu (mps2-an386, Cortex-M4), bytes; the"
echo "image's own buffers on the stack count (client: its Connection; its 256-byte"
echo "transmit buffer is a static):"
echo
echo "| image | stack | minus empty image |"
echo "| --- | ---: | ---: |"
run_stack() {
  timeout 60 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native \
    -kernel "$stack_dir/$target/release/$1" 2>&1 | sed -n 's/^stack high-water (bytes): //p'
}
base=$(run_stack empty)
echo "| empty (scaffolding) | $base | 0 |"
for image in heads httparse_heads client; do
  used=$(run_stack "$image")
  if [ -z "$used" ]; then
    echo "$image: the qemu run failed" >&2
    exit 1
  fi
  echo "| $image | $used | $((used - base)) |"
  printf 'stack\t%s\t%s\n' "$image" "$((used - base))" >>"$tsv"
done
