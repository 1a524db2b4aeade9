# Shared by scripts/demo, scripts/test and the benchmarks: installs what the
# project needs on Debian 12 and runs a throwaway PostgreSQL cluster.
# Source it; it defines functions only.

PG_BIN=/usr/lib/postgresql/15/bin
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# schemathesis: the management API checked against its OpenAPI document;
# selenium: the dashboard's pages in Debian's headless Chromium (driven through
# Debian's /usr/bin/chromedriver, never a downloaded one).
PY_PACKAGES=(cryptography cryptography-vectors python-dotenv 'psycopg[binary]' 'pydantic-ai-slim[openai]' schemathesis selenium)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# System packages: the C libraries, pkg-config and the PostgreSQL server; for the
# tests, PgBouncer, faketime, curl, promtool (prometheus) and node_exporter; for
# the dashboard, Chart.js (libjs-chart.js), and Chromium with its driver for the
# browser tests.
install_system_packages() {
    local missing=()
    for pkg in libpq-dev libssl-dev libsystemd-dev zlib1g-dev pkg-config postgresql python3-venv systemd dash pgbouncer faketime curl prometheus prometheus-node-exporter libjs-chart.js chromium chromium-driver; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ] || [ ! -x "$PG_BIN/initdb" ]; then
        log "installing ${missing[*]:-postgresql}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            libpq-dev libssl-dev libsystemd-dev zlib1g-dev pkg-config postgresql python3-venv systemd dash pgbouncer faketime curl prometheus prometheus-node-exporter \
            libjs-chart.js chromium chromium-driver >/dev/null
    fi
}

# Debian's packaging tools, for scripts/package; debootstrap and systemd-nspawn,
# for scripts/test-systemd.
install_packaging_tools() {
    local missing=()
    for pkg in dpkg-dev debhelper lintian debootstrap systemd-container; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# A virtual environment of the project's own for the Python side of the tests.
# Sets PYTHON. PROVIDERD_VENV overrides where it lives.
setup_python() {
    local venv=${PROVIDERD_VENV:-$REPO_ROOT/.venv}
    if [ ! -x "$venv/bin/python" ]; then
        log "creating Python virtual environment in $venv"
        python3 -m venv "$venv"
    fi
    # genai-prices is the price oracle: pinned to the version etc/prices.json names.
    local prices_version
    prices_version=$(prices_version)
    if ! "$venv/bin/python" -c "
import cryptography, cryptography_vectors, dotenv, psycopg, pydantic_ai, genai_prices, schemathesis, selenium
assert genai_prices.__version__ == '$prices_version'" 2>/dev/null; then
        log "installing ${PY_PACKAGES[*]} genai-prices==$prices_version"
        "$venv/bin/pip" install -q --disable-pip-version-check "${PY_PACKAGES[@]}" "genai-prices==$prices_version"
    fi
    PYTHON=$venv/bin/python
    export PYTHON
}

# The genai-prices version etc/prices.json was generated from.
prices_version() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["source"]["version"])' \
        "$REPO_ROOT/etc/prices.json"
}

free_port() {
    python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# The packaged build, shared by scripts/package and scripts/bench-memory: release,
# the Swift runtime linked in statically, linked by lld with relative relocations
# packed (DT_RELR, glibc 2.36+: 2.3 MB of .rela.dyn becomes 40 KB).
PACKAGED_BUILD=(-c release --static-swift-stdlib --build-path .build-static
    -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs)

# Starts a throwaway cluster under $1 (a new directory) and exports
# (fsync is off for speed unless PG_FSYNC=on, as benchmarks against the seed's
# commit-per-record path set it)
# DATABASE_URL (superuser "postgres", database "postgres") and PG_CLUSTER_DIR.
pg_start() {
    local dir=$1
    mkdir -p "$dir"
    chmod 755 "$dir"
    local data=$dir/data sockets=$dir/sockets
    mkdir -p "$sockets"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir" "$sockets"; fi
    local run=()
    [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
    "${run[@]}" "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; return 1; }
    PG_PORT=$(free_port)
    # Settings go into the cluster's own file, so pg_resume restarts it the same way.
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$sockets'
fsync = ${PG_FSYNC:-off}
max_connections = 200
CONF
    PG_CLUSTER_DIR=$dir
    pg_resume || return 1
    DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
    export PG_CLUSTER_DIR PG_PORT DATABASE_URL
}

# Starts the cluster in $PG_CLUSTER_DIR (again, after pg_stop).
pg_resume() {
    local run=()
    [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
    "${run[@]}" "$PG_BIN/pg_ctl" -D "$PG_CLUSTER_DIR/data" -l "$PG_CLUSTER_DIR/server.log" -w -t 30 start >/dev/null \
        || { cat "$PG_CLUSTER_DIR/server.log" >&2; return 1; }
}

pg_stop() {
    [ -n "${PG_CLUSTER_DIR:-}" ] && [ -d "$PG_CLUSTER_DIR/data" ] || return 0
    local run=()
    [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
    "${run[@]}" "$PG_BIN/pg_ctl" -D "$PG_CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    for _ in $(seq 50); do [ -f "$PG_CLUSTER_DIR/data/postmaster.pid" ] || break; sleep 0.1; done
}
