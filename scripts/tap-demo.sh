#!/usr/bin/env bash
# The embassy-net demo client over a real TAP device, against the std
# adapter's server, inside a private network namespace. Run as root from
# anywhere in the repository: `sudo scripts/tap-demo.sh`.
#
# The namespace holds a TAP whose kernel side has SERVER_IP, where
# `h1conn serve` listens; the host binary opens the TAP's other side and
# runs embassy-net (smoltcp) on it with CLIENT_IP. No traffic leaves the
# namespace. Three scripted sessions, each checked from both ends (the
# client's per-request lines and the server's access log):
#   1. 10 back-to-back requests, server --max-requests 4:
#      3 connections (4 + 4 + 2), req=1..4 on each, persist=close on each 4th;
#   2. 3 requests 1.5 s apart, server --keep-alive-timeout 2 (so the client
#      reuses an idle connection for at most 2 - 1 s): a new connection for
#      each, which the client closes (the server would have kept it);
#   3. 3 requests 0.3 s apart: one connection, reused.
# Cleans up (the processes it started, the namespace) even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

NS="h1conn-tap-$$"
TAP=tap0
SERVER_IP=10.69.0.1
CLIENT_IP=10.69.0.2
PORT=8080
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
SERVER_BIN="$TARGET_DIR/release/h1conn"
CLIENT_BIN="$TARGET_DIR/release/h1conn-embassy-host"
WORK="$(mktemp -d)"
SERVER_PID=""
CLIENT_PID=""

cleanup() {
  local status=$?
  for pid in "$CLIENT_PID" "$SERVER_PID"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  ip netns del "$NS" 2>/dev/null || true
  if [ "$status" -ne 0 ]; then
    echo "tap-demo: FAILED (exit $status); server log:" >&2
    cat "$WORK/server.err" >&2 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "tap-demo: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || fail "run as root (it creates a network namespace and a TAP device)"
[ -c /dev/net/tun ] || fail "/dev/net/tun is missing"
command -v ip >/dev/null || fail "ip (iproute2) is missing"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cargo build --release -p h1conn-std --bin h1conn
  cargo build --release -p h1conn-embassy-demo --features host --bin h1conn-embassy-host
fi

echo "==> namespace $NS: $TAP with $SERVER_IP (server), $CLIENT_IP (embassy-net)"
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" tuntap add dev "$TAP" mode tap
ip -n "$NS" addr add "$SERVER_IP/24" dev "$TAP"
ip -n "$NS" link set "$TAP" up

echo "==> h1conn serve --addr $SERVER_IP:$PORT --max-requests 4 --keep-alive-timeout 2"
ip netns exec "$NS" "$SERVER_BIN" serve --addr "$SERVER_IP:$PORT" \
  --max-requests 4 --keep-alive-timeout 2 >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
for _ in $(seq 50); do
  grep -q "listening" "$WORK/server.out" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited: $(cat "$WORK/server.err")"
  sleep 0.1
done
grep -q "listening" "$WORK/server.out" || fail "the server did not start listening"

# Access lines seen so far (the server numbers connections across sessions).
access_count() { grep -c '^access ' "$WORK/server.err" || true; }

# run_session NAME EXPECTED_CLIENT EXPECTED_SERVER CLIENT_ARGS...
# EXPECTED_CLIENT: "conn:reused" per request; EXPECTED_SERVER: "conn:req:persist"
# per request, from the server's access log.
run_session() {
  local name=$1 want_client=$2 want_server=$3
  shift 3
  local before
  before=$(access_count)
  echo "==> session $name: $*"
  ip netns exec "$NS" "$CLIENT_BIN" --tap "$TAP" --ip "$CLIENT_IP/24" \
    --server "$SERVER_IP:$PORT" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  CLIENT_PID=$!
  local client_status=0
  wait "$CLIENT_PID" || client_status=$?
  CLIENT_PID=""
  sed 's/^/    /' "$WORK/$name.out"
  if [ "$client_status" -ne 0 ]; then
    sed 's/^/    client: /' "$WORK/$name.err" >&2
    fail "session $name: the client exited with $client_status"
  fi

  local got_client
  got_client=$(awk '/^request=/ {
      for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      if (f["status"] != "200") { print "status-" f["status"]; next }
      printf "%s:%s ", f["conn"], f["reused"] }' "$WORK/$name.out")
  [ "${got_client% }" = "$want_client" ] ||
    fail "session $name: client saw [${got_client% }], expected [$want_client]"

  # The client closed its last connection gracefully, so the server has
  # logged every request by now; wait briefly in case it has not.
  local want_lines
  want_lines=$(($(echo "$want_server" | wc -w) + before))
  for _ in $(seq 20); do
    [ "$(access_count)" -ge "$want_lines" ] && break
    sleep 0.1
  done
  local got_server
  got_server=$(grep '^access ' "$WORK/server.err" | tail -n +"$((before + 1))" | awk '{
      for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      if (f["status"] != "200") { print "status-" f["status"]; next }
      printf "%s:%s:%s ", f["conn"], f["req"], f["persist"] }')
  [ "${got_server% }" = "$want_server" ] ||
    fail "session $name: server logged [${got_server% }], expected [$want_server]"
  echo "    ok: client conn:reused [$want_client]"
  echo "    ok: server conn:req:persist [$want_server]"
}

K=keep-alive
run_session max \
  "1:false 1:true 1:true 1:true 2:false 2:true 2:true 2:true 3:false 3:true" \
  "1:1:$K 1:2:$K 1:3:$K 1:4:close 2:1:$K 2:2:$K 2:3:$K 2:4:close 3:1:$K 3:2:$K" \
  --count 10 --paths /,/bytes/64,/chunked/300

run_session idle-timeout \
  "1:false 2:false 3:false" \
  "4:1:$K 5:1:$K 6:1:$K" \
  --count 3 --pause-ms 1500

run_session reuse \
  "1:false 1:true 1:true" \
  "7:1:$K 7:2:$K 7:3:$K" \
  --count 3 --pause-ms 300

echo "==> server access log"
grep '^access ' "$WORK/server.err" | sed 's/^/    /'
echo "tap-demo: OK (3 sessions, 16 requests, 7 connections, reuse as predicted)"
