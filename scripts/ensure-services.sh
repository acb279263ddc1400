#!/usr/bin/env bash
# Makes sure PostgreSQL, MariaDB and Redis answer on loopback, starting (and on a
# fresh machine installing) them, so the store suites run against real servers.
set -uo pipefail
wait_for() { for _ in $(seq 60); do eval "$1" >/dev/null 2>&1 && return 0; sleep 0.5; done; echo "$2 did not come up" >&2; return 1; }
need_install=()
command -v pg_ctlcluster >/dev/null || need_install+=(postgresql)
command -v redis-server >/dev/null || need_install+=(redis-server redis-tools)
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || need_install+=(mariadb-server)
if [ ${#need_install[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_install[@]}"
fi
if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi
wait_for "pg_isready -h 127.0.0.1 -p 5432" PostgreSQL || exit 1
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
wait_for "redis-cli -h 127.0.0.1 -p 6379 ping" Redis || exit 1
if ! mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi
wait_for "mariadb-admin -h 127.0.0.1 -u root ping" MariaDB || exit 1
mariadb -h 127.0.0.1 -u root -e "CREATE DATABASE IF NOT EXISTS test"
echo "services: PostgreSQL, MariaDB and Redis answer on loopback"
