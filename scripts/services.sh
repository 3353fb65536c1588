#!/usr/bin/env bash
# Test services on loopback, private to one run: PostgreSQL and Redis.
# Sourced by scripts/test.sh; `bash scripts/services.sh start|stop DIR` runs them by hand.
set -euo pipefail

# Debian's packages the tests need (installed only when missing, only as root).
TEST_DEBIAN_PACKAGES=(postgresql redis-server chromium caddy jq python3 systemd prometheus prometheus-alertmanager espeak-ng)

pg_bin_dir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

missing_debian_packages() {
  local missing=()
  [[ -n "$(pg_bin_dir)" && -x "$(pg_bin_dir)/postgres" ]] || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  [[ -x /usr/bin/caddy ]] || missing+=(caddy)
  [[ -x /usr/bin/systemd-analyze ]] || missing+=(systemd) # test/service.test.ts verifies units
  command -v jq >/dev/null 2>&1 || missing+=(jq)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  [[ -x /usr/bin/openssl ]] || missing+=(openssl) # the TLS tests make their certificates with it
  # The monitoring pack's tests: promtool and a real Prometheus, amtool (test/monitoring.test.ts).
  { command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || missing+=(prometheus)
  command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
  # The readiness STT check speaks its sample with it (test/readiness.test.ts).
  command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
  echo "${missing[@]:-}"
}

install_debian_packages() {
  local missing
  missing="$(missing_debian_packages)"
  [[ -z "$missing" ]] && return 0
  if [[ "$(id -u)" != 0 ]]; then
    echo "test setup: missing Debian packages: $missing (not root: install them yourself)" >&2
    return 0
  fi
  echo "test setup: installing $missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Runs a command as the `postgres` user when root (PostgreSQL refuses to run as root).
as_pg_user() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local dir="$1" bin port
  bin="$(pg_bin_dir)"
  if [[ -z "$bin" ]]; then
    echo "test setup: PostgreSQL is not installed; its suites will fail under CI=true" >&2
    return 0
  fi
  port="$(free_port)"
  mkdir -p "$dir/pg"
  [[ "$(id -u)" == 0 ]] && chown postgres "$dir/pg"
  # A folder used before keeps its cluster: started again, not initialised over.
  if [[ ! -f "$dir/pg/data/PG_VERSION" ]] &&
    ! as_pg_user "$bin/initdb" -D "$dir/pg/data" -U clawops --auth=trust -E UTF8 >"$dir/pg/initdb.log" 2>&1; then
    echo "test setup: initdb failed in $dir/pg/data:" >&2
    tail -n 3 "$dir/pg/initdb.log" >&2
    return 1
  fi
  as_pg_user "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
  export CLAWOPS_TEST_DATABASE_URL="postgres://clawops@127.0.0.1:$port/postgres"
  echo "test setup: PostgreSQL on 127.0.0.1:$port" >&2
}

stop_postgres() {
  local dir="$1"
  [[ -d "$dir/pg/data" ]] || return 0
  as_pg_user "$(pg_bin_dir)/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1 || true
}

start_redis() {
  local dir="$1" port
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "test setup: redis-server is not installed; its suites will fail under CI=true" >&2
    return 0
  fi
  port="$(free_port)"
  mkdir -p "$dir/redis"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir/redis" --save "" --appendonly no \
    --daemonize yes --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log"
  export CLAWOPS_TEST_REDIS_URL="redis://127.0.0.1:$port"
  echo "test setup: Redis on 127.0.0.1:$port" >&2
}

stop_redis() {
  local dir="$1"
  [[ -f "$dir/redis/redis.pid" ]] || return 0
  local pid i
  pid="$(cat "$dir/redis/redis.pid")"
  kill "$pid" 2>/dev/null || true
  # Wait for it to finish writing its files before anyone removes the folder.
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
    start)
      dir="${2:?usage: services.sh start DIR}"
      mkdir -p "$dir"
      [[ "$(id -u)" == 0 ]] && chmod 755 "$dir"
      start_postgres "$dir"
      start_redis "$dir"
      echo "export CLAWOPS_TEST_DATABASE_URL=${CLAWOPS_TEST_DATABASE_URL:-}"
      echo "export CLAWOPS_TEST_REDIS_URL=${CLAWOPS_TEST_REDIS_URL:-}"
      ;;
    stop)
      dir="${2:?usage: services.sh stop DIR}"
      stop_postgres "$dir"
      stop_redis "$dir"
      ;;
    *) echo "usage: services.sh start|stop DIR" >&2; exit 2 ;;
  esac
fi
