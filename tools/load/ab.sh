#!/bin/sh
# Interleaved A/B runs of `skerry-load ingest` against two server builds, each run on a fresh
# data directory on loopback: A B A B ... Prints one `result` line per run, labelled.
# usage: tools/load/ab.sh SKERRY_A SKERRY_B SKERRY_LOAD PAIRS [ingest options...]
# e.g.:  tools/load/ab.sh /tmp/skerry-A /tmp/skerry-B target/release/skerry-load 3 --activities 20000
set -u
A=$1 B=$2 LOAD=$3 PAIRS=$4
shift 4
PORT=18080
run() {
  label=$1 bin=$2
  shift 2
  data=$(mktemp -d)
  SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS=true SKERRY_SERVER_HOST=127.0.0.1:$PORT \
    SKERRY_SERVER_SCHEME=http "$bin" serve --listen 127.0.0.1:$PORT --data "$data" >"$data.log" 2>&1 &
  pid=$!
  i=0
  until curl -s -o /dev/null http://127.0.0.1:$PORT/metrics || [ $i -ge 100 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  "$bin" admin account create alice --email a@example.test --role owner --data "$data" >/dev/null 2>&1
  "$LOAD" ingest --target http://127.0.0.1:$PORT --user alice --pid $pid "$@" 2>&1 |
    grep '^result' | sed "s/^/$label load=$(cut -d' ' -f1 /proc/loadavg) /"
  kill $pid
  wait $pid 2>/dev/null
  rm -rf "$data" "$data.log"
}
n=0
while [ $n -lt "$PAIRS" ]; do
  run A "$A" "$@"
  run B "$B" "$@"
  n=$((n + 1))
done
