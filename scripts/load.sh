#!/usr/bin/env bash
# Requests per second of `h1conn serve` next to nginx, under the same `ab`
# load, side by side in one run.
#
# Usage: scripts/load.sh [--rounds N] [--requests N] [--concurrency N] [--threads]
#
# Both servers serve the same small file (612 bytes, the size of nginx's
# welcome page) from one directory on loopback:
#   - nginx as Debian sets it up (nginx.conf's defaults: worker_processes
#     auto, worker_connections 768, sendfile on, tcp_nopush on,
#     keepalive_timeout 65, an access log file), started from a private
#     prefix so it needs no system configuration;
#   - `h1conn serve --root DIR` (release build; the tokio flavour, or the
#     blocking one with --threads) with --max-requests 1000, nginx's
#     keepalive_requests default, and its access log to a file too.
# Each round runs `ab -k -c C -n N` (keep-alive), then `ab -c C -n N` (a
# new connection per request), each against both servers back to back
# (which goes first alternates between rounds). It prints each round's
# requests/s and ratio h1conn / nginx, the range of the ratios over the
# rounds (never the best round alone), and the whole run's ratio: each
# server's requests over its time summed over all rounds. Times on a
# shared machine are noisy: compare within a round or a whole run.
#
# Installs nginx and apache2-utils (ab) with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
# 100,000 requests: a keep-alive run then lasts a few seconds, long enough
# that a moment of noise on a shared machine moves its rate less.
requests=100000
concurrency=100
flavour=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift ;;
    --requests) requests=$2; shift ;;
    --concurrency) concurrency=$2; shift ;;
    --threads) flavour=(--threads) ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

need=()
command -v ab >/dev/null 2>&1 || need+=(apache2-utils)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
if [ "${#need[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

cargo build --release -q -p h1conn-std --bin h1conn
h1conn="${CARGO_TARGET_DIR:-target}/release/h1conn"

work=$(mktemp -d /tmp/h1conn-load.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/www" "$work/nginx/logs"
head -c 612 /dev/zero | tr '\0' 'x' >"$work/www/index.html"
chmod -R a+rX "$work/www"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

nginx_port=$(free_port)
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
daemon off;
events { worker_connections 768; }
http {
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  types { text/html html; }
  default_type application/octet-stream;
  access_log $work/nginx/logs/access.log;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
  }
}
EOF
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)

"$h1conn" serve --addr 127.0.0.1:0 --root "$work/www" --max-requests 1000 "${flavour[@]}" \
  >"$work/h1conn.out" 2>"$work/h1conn-access.log" &
pids+=($!)
for _ in $(seq 100); do
  grep -q '^listening on' "$work/h1conn.out" 2>/dev/null && break
  sleep 0.05
done
h1conn_port=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$work/h1conn.out")
for _ in $(seq 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/index.html" && break
  sleep 0.05
done

# Requests per second of one ab run, failing loudly on errors.
rate() {
  local out
  out=$(ab "$@" -q -n "$requests" -c "$concurrency" "$url" 2>&1)
  local failed
  failed=$(sed -n 's/^Failed requests: *\([0-9]*\).*/\1/p' <<<"$out")
  local non2xx
  non2xx=$(sed -n 's/^Non-2xx responses: *\([0-9]*\).*/\1/p' <<<"$out")
  if [ "${failed:-1}" != 0 ] || [ -n "$non2xx" ]; then
    echo "ab against $url failed: $out" >&2
    exit 1
  fi
  sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' <<<"$out"
}

declare -A results
for round in $(seq "$rounds"); do
  order=(h1conn nginx)
  [ $((round % 2)) -eq 0 ] && order=(nginx h1conn)
  # The two servers run back to back for each load, so that both meet
  # the same moment of the machine.
  for mode in keep close; do
    flags=()
    [ "$mode" = keep ] && flags=(-k)
    for server in "${order[@]}"; do
      port=$h1conn_port
      [ "$server" = nginx ] && port=$nginx_port
      url="http://127.0.0.1:$port/index.html"
      ab -q "${flags[@]}" -n 2000 -c "$concurrency" "$url" >/dev/null 2>&1 # warm-up
      results[$server,$mode,$round]=$(rate "${flags[@]}")
    done
  done
done

echo "h1conn serve ${flavour[*]:-(tokio)} vs nginx $("$nginx_bin" -v 2>&1 | sed 's/.*\///'), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs"
echo "ab -n $requests -c $concurrency, 612-byte file, $rounds rounds"
printf '%-16s %6s %12s %12s %8s\n' load round h1conn nginx ratio
for mode in keep close; do
  label="ab -k -c $concurrency"
  [ "$mode" = close ] && label="ab -c $concurrency"
  ratios=()
  ours_all=()
  theirs_all=()
  for round in $(seq "$rounds"); do
    ours=${results[h1conn,$mode,$round]}
    theirs=${results[nginx,$mode,$round]}
    ours_all+=("$ours")
    theirs_all+=("$theirs")
    ratio=$(python3 -c "print(f'{$ours / $theirs:.2f}')")
    ratios+=("$ratio")
    printf '%-16s %6s %12s %12s %8s\n' "$label" "$round" "$ours" "$theirs" "$ratio"
  done
  range=$(printf '%s\n' "${ratios[@]}" | sort -n | sed -n '1p;$p' | paste -sd- -)
  # The whole run's rate of each server: all its requests over all its
  # time (every round sends the same number: the harmonic mean of the
  # rounds' rates).
  whole=$(python3 -c "
ours = [$(IFS=,; echo "${ours_all[*]}")]; theirs = [$(IFS=,; echo "${theirs_all[*]}")]
def rate(r): return len(r) / sum(1 / x for x in r)
print(f'{rate(ours):.0f} / {rate(theirs):.0f} = {rate(ours) / rate(theirs):.2f}')" | tr -d '\n')
  echo "$label: h1conn / nginx requests/s: rounds $range; whole run $whole"
done
