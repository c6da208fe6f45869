#!/usr/bin/env bash
# Checks the capacity planner's RAM and CPU figures against a real server (README, "Footprint",
# "The planner against a real server"):
#   1. starts `skerry serve` on a fresh database on loopback;
#   2. sends it ACTIVITIES signed activities at RATE per second with `skerry-load ingest`
#      (tools/load), sampling the server's RSS and reading its CPU time from /proc/PID/stat;
#   3. runs `skerry capacity --calibrate` on the same machine with the same build, and
#      `skerry capacity --profile` for the same workload (the ACTIVITIES as one day's traffic);
#   4. prints predicted and measured RAM and CPU seconds side by side, with their ratio.
#
# Usage: tools/capacity-check.sh [ACTIVITIES (20000)] [RATE per second (1000)]
# Environment: CARGO_PROFILE (release, or dev for a quick check: both sides then use the
# debug build), PORT (18181), CAPACITY_CHECK_NO_BUILD=1 (use the binaries already built). Loopback only; everything it writes is under one temporary
# directory, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIVITIES="${1:-20000}"
RATE="${2:-1000}"
CARGO_PROFILE="${CARGO_PROFILE:-release}"
PORT="${PORT:-18181}"
case "$CARGO_PROFILE" in
  release) BIN=target/release ;;
  dev) BIN=target/debug ;;
  *) echo "CARGO_PROFILE must be release or dev" >&2; exit 2 ;;
esac

# CAPACITY_CHECK_NO_BUILD=1 uses the binaries already built.
if [ -z "${CAPACITY_CHECK_NO_BUILD:-}" ]; then
  cargo build --quiet --profile "$CARGO_PROFILE" -p skerry --bin skerry
  cargo build --quiet --profile "$CARGO_PROFILE" -p skerry-load
fi

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS=true
export SKERRY_SERVER_HOST="127.0.0.1:$PORT"
export SKERRY_SERVER_SCHEME=http
export SKERRY_SERVER_LISTEN="127.0.0.1:$PORT"
"$BIN/skerry" serve --data "$WORK/data" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  if "$BIN/skerry" health >/dev/null 2>&1; then break; fi
  sleep 0.1
done
if ! "$BIN/skerry" health >/dev/null 2>&1; then
  echo "the server did not answer /health:" >&2
  tail -20 "$WORK/server.log" >&2
  exit 1
fi
"$BIN/skerry" admin account create alice --email alice@example.test --role owner --data "$WORK/data" >/dev/null 2>&1

# utime + stime of the server, in clock ticks (fields 14 and 15 of /proc/PID/stat; the command
# name in field 2 has no spaces here).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }
TICKS_PER_SECOND="$(getconf CLK_TCK)"
RSS_IDLE_KIB="$(rss_kib)"
TICKS_BEFORE="$(cpu_ticks)"
"$BIN/skerry-load" ingest --target "http://127.0.0.1:$PORT" --user alice \
  --activities "$ACTIVITIES" --rate "$RATE" --pid "$SERVER_PID" --seconds-max 600 | tee "$WORK/load.txt"
TICKS_AFTER="$(cpu_ticks)"
RSS_END_KIB="$(rss_kib)"
RSS_PEAK_KIB="$(sed -n 's/.*rss_kib=\([0-9]*\).*/\1/p' "$WORK/load.txt")"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""

# The load tool's mix: Create 50 %, Announce 15 %, Like 20 %, Update 10 %, Delete 5 %, every
# post by one of its 32 actors.
"$BIN/skerry" capacity --calibrate --data "$WORK/calibrate" >"$WORK/calibration.toml" 2>/dev/null
cat >"$WORK/profile.toml" <<EOF
local_users = 1
followed_accounts = 0
relay_activities_per_day = $ACTIVITIES
relay_post_share = 0.5
relay_boost_share = 0.15
relay_delete_share = 0.05
remote_accounts_active = 32
retention_days = 0
cores = 1
EOF
"$BIN/skerry" capacity --profile "$WORK/profile.toml" --calibration "$WORK/calibration.toml" | tee "$WORK/plan.txt"

awk -v peak="$RSS_PEAK_KIB" -v idle="$RSS_IDLE_KIB" -v end="$RSS_END_KIB" \
    -v ticks="$((TICKS_AFTER - TICKS_BEFORE))" -v hz="$TICKS_PER_SECOND" -v activities="$ACTIVITIES" '
  /^RAM:/ { ram_mb = $2 }
  /^CPU share:/ { for (i = 1; i < NF; i++) if ($(i + 1) == "CPU") predicted_cpu = $i }
  END {
    measured_cpu = ticks / hz
    measured_ram = peak * 1024 / 1e6
    printf "\n| what | predicted | measured | measured / predicted |\n|---|---:|---:|---:|\n"
    printf "| RAM (RSS peak under load), MB | %.1f | %.1f | %.2f |\n", ram_mb, measured_ram, measured_ram / ram_mb
    printf "| RSS idle before / after the load, MB | | %.1f / %.1f | |\n", idle * 1024 / 1e6, end * 1024 / 1e6
    printf "| CPU seconds for %d activities (one day of this profile) | %.1f | %.1f | %.2f |\n", activities, predicted_cpu, measured_cpu, measured_cpu / predicted_cpu
  }' "$WORK/plan.txt"
