#!/usr/bin/env bash
# Where a footprint image's flash goes, by source function, inlining included.
#
# Usage: scripts/flash-map.sh [image] [incl|excl|FUNCTION] [lines]
#        (defaults: client incl 40)
#
# Builds the images of footprint/ as scripts/footprint.sh does (the same
# code: debug info changes no instruction), with debug info, into
# target/footprint-map. Every instruction of the image's code is then
# traced to its source by llvm-symbolizer, through the functions inlined
# into each other:
#   incl      bytes per function, counting a byte for every function on
#             its inline chain (what a function costs with all it inlines)
#   excl      bytes per function, counting a byte only for the innermost
#             one (the code written in that function itself)
#   FUNCTION  where the bytes of functions whose name contains FUNCTION
#             sit: the source line and the function they were inlined into
# `llvm-nm --size-sort` gives only the functions left out of line, each
# with everything inlined into it; this gives the parts.
#
# Installs what it needs: the Rust target, llvm-tools (llvm-objdump) and
# Debian's llvm package (llvm-symbolizer) if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

image=${1:-client}
mode=${2:-incl}
lines=${3:-40}

target=thumbv7em-none-eabihf
rustup target add "$target" >/dev/null 2>&1 || rustup target add "$target"
rustup component add llvm-tools >/dev/null 2>&1 || rustup component add llvm-tools
if ! command -v llvm-symbolizer >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends llvm >/dev/null
fi
host=$(rustc -vV | sed -n 's/^host: //p')
objdump="$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-objdump"

build_dir="$PWD/target/footprint-map"
CARGO_PROFILE_RELEASE_DEBUG=2 cargo build --quiet --release \
  --manifest-path footprint/Cargo.toml --target "$target" --target-dir "$build_dir"
elf="$build_dir/$target/release/$image"

python3 - "$objdump" "$elf" "$mode" "$lines" <<'PY'
import collections, re, subprocess, sys

objdump, elf, mode, lines = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
listing = subprocess.check_output([objdump, "-d", "--no-show-raw-insn", elf], text=True)
addresses = [int(m.group(1), 16) for m in re.finditer(r"^\s*([0-9a-f]+):\s+\S", listing, re.M)]
# An instruction's size is the distance to the next (Thumb: 2 or 4 bytes).
sizes = {a: min(b - a, 4) for a, b in zip(addresses, addresses[1:])}
query = "".join(f"0x{a:x}\n" for a in addresses)
frames = subprocess.run(
    ["llvm-symbolizer", "--inlining", "--demangle", f"--obj={elf}"],
    input=query, capture_output=True, text=True, check=True,
).stdout.strip("\n").split("\n\n")


def short(name):
    name = re.sub(r"::h[0-9a-f]{16}$", "", name)
    for _ in range(3):
        name = re.sub(r"<[^<>]*>", "", name)
    return name


def place(location):
    return re.sub(r"^.*/(core|src)/", r"\1/", location)


inclusive, exclusive, sites = (collections.Counter() for _ in range(3))
for address, block in zip(addresses, frames):
    size = sizes.get(address, 2)
    parts = block.split("\n")
    functions = [short(f) for f in parts[0::2]]
    locations = parts[1::2]
    exclusive[functions[0]] += size
    for function in set(functions):
        inclusive[function] += size
    for i, function in enumerate(functions):
        if mode in function:
            caller = functions[i + 1] if i + 1 < len(functions) else "-"
            sites[f"{place(locations[i])} in {caller}"] += size
            break

table = {"incl": inclusive, "excl": exclusive}.get(mode, sites)
print(f"{sum(sizes.get(a, 2) for a in addresses)} bytes of code in {elf.rsplit('/', 1)[-1]}")
for name, size in table.most_common(lines):
    print(f"{size:6} {name}")
PY
