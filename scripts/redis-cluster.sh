#!/usr/bin/env bash
# A throwaway 3-node Redis Cluster on 127.0.0.1:7301-7303 for sesh-redis's
# cluster tests.
#
#   redis-cluster.sh start              start it (or keep a healthy one) until `stop`
#   redis-cluster.sh start --owner PID  same, but stop it once PID and every other
#                                       owner have exited (what the tests use)
#   redis-cluster.sh stop               stop it and remove its files
#
# State lives in $SESH_CLUSTER_DIR (default /tmp/sesh-redis-cluster-7301): the
# nodes' config files, logs and pid files, the owners' pids and a lock file
# that start, stop and the owner watchdog take in turn.
set -euo pipefail
ports=(7301 7302 7303)
dir=${SESH_CLUSTER_DIR:-${TMPDIR:-/tmp}/sesh-redis-cluster-7301}
self=$(readlink -f "$0")

lock() { mkdir -p "$dir"; exec 9>"$dir/lock"; flock 9; }

node_ok() {
  local info
  info=$(redis-cli -h 127.0.0.1 -p "$1" cluster info 2>/dev/null) || return 1
  grep -q '^cluster_state:ok' <<<"$info" && grep -q "^cluster_known_nodes:${#ports[@]}" <<<"$info"
}

# Everything but the lock, which a waiting `start` may already hold open.
clean() { rm -f "$dir"/nodes-*.conf "$dir"/*.log "$dir"/*.pid "$dir"/owners "$dir"/pinned "$dir"/watchdog; }

healthy() { for p in "${ports[@]}"; do node_ok "$p" || return 1; done; }

stop_nodes() {
  for p in "${ports[@]}"; do
    local pidfile="$dir/$p.pid"
    [ -f "$pidfile" ] || continue
    local pid; pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

start_nodes() {
  for p in "${ports[@]}"; do
    # fd 9 is the lock: a server that inherited it would hold it forever.
    redis-server --bind 127.0.0.1 --port "$p" --daemonize yes \
      --cluster-enabled yes --cluster-config-file "$dir/nodes-$p.conf" \
      --cluster-node-timeout 5000 --save '' --appendonly no \
      --dir "$dir" --pidfile "$dir/$p.pid" --logfile "$dir/$p.log" 9>&-
  done
  for p in "${ports[@]}"; do
    for _ in $(seq 100); do redis-cli -h 127.0.0.1 -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis-cli -h 127.0.0.1 -p "$p" ping >/dev/null 2>&1 || { echo "node $p did not start; see $dir/$p.log" >&2; return 1; }
  done
  local nodes=(); for p in "${ports[@]}"; do nodes+=("127.0.0.1:$p"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 \
    || { echo "redis-cli --cluster create failed; see $dir/create.log" >&2; return 1; }
  for _ in $(seq 200); do healthy && return 0; sleep 0.1; done
  echo "the cluster did not reach cluster_state:ok" >&2
  return 1
}

start() {
  local owner=${1:-}
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null \
    || { echo "redis-server and redis-cli are needed (apt-get install redis-server)" >&2; return 1; }
  lock
  if ! healthy; then
    stop_nodes
    for p in "${ports[@]}"; do
      if redis-cli -h 127.0.0.1 -p "$p" ping >/dev/null 2>&1; then
        echo "port $p answers but is not part of a healthy cluster started here" >&2
        return 1
      fi
    done
    clean
    start_nodes || { stop_nodes; return 1; }
  fi
  if [ -z "$owner" ]; then
    touch "$dir/pinned"
  else
    echo "$owner" >>"$dir/owners"
    if [ ! -f "$dir/watchdog" ] || ! kill -0 "$(cat "$dir/watchdog")" 2>/dev/null; then
      setsid bash "$self" watchdog </dev/null >/dev/null 2>&1 9>&- &
      echo $! >"$dir/watchdog"
    fi
  fi
  echo "redis cluster up on 127.0.0.1:${ports[0]}-${ports[-1]}"
}

# Stops the cluster once no owner is alive, unless `start` pinned it.
watchdog() {
  echo $$ >"$dir/watchdog"
  while sleep 0.5; do
    lock
    if [ -f "$dir/pinned" ]; then rm -f "$dir/watchdog"; exit 0; fi
    local alive=0
    while read -r pid; do kill -0 "$pid" 2>/dev/null && alive=1; done <"$dir/owners"
    if [ "$alive" = 0 ]; then stop_nodes; clean; exit 0; fi
    flock -u 9
  done
}

stop() { lock; stop_nodes; clean; echo "redis cluster stopped"; }

case "${1:-}" in
  start) if [ "${2:-}" = --owner ]; then start "$3"; else start; fi ;;
  stop) stop ;;
  watchdog) watchdog ;;
  *) echo "usage: $0 start [--owner PID] | stop" >&2; exit 2 ;;
esac
