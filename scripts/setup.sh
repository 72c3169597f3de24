#!/usr/bin/env bash
# Idempotent setup for `make run` and `make test` on Debian/Ubuntu (root or sudo):
#   system packages when missing (PostgreSQL + PostGIS; for tests also GDAL's tools,
#   Chromium and poppler-utils for reading PDFs back), a running PostgreSQL cluster, a superuser role for the current OS user (so
#   the default DATABASE_URL works over the unix socket), the `diaban` database, a virtual
#   environment with the pinned Python packages and the project installed in it.
# Usage: scripts/setup.sh run|test
set -euo pipefail
mode=${1:-run}
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi
as_postgres() { "${SUDO[@]}" runuser -u postgres -- "$@"; }
missing() { ! dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

apt_install() {
    local wanted=()
    for p in "$@"; do missing "$p" && wanted+=("$p"); done
    [ ${#wanted[@]} -eq 0 ] && return 0
    say "installing system packages: ${wanted[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null
}

# --- PostgreSQL + PostGIS -------------------------------------------------------------
pg_major() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1; }
[ -n "$(pg_major)" ] || apt_install postgresql
major=$(pg_major)
apt_install "postgresql-$major-postgis-3" postgresql-common
pkgs=(python3-venv)
[ "$mode" = test ] && pkgs+=(gdal-bin chromium poppler-utils)
apt_install "${pkgs[@]}"

if ! pg_lsclusters -h 2>/dev/null | awk -v m="$major" '$1 == m' | grep -q .; then
    say "creating PostgreSQL cluster $major/main"
    "${SUDO[@]}" pg_createcluster "$major" main >/dev/null
fi
read -r _ cluster port status _ < <(pg_lsclusters -h | awk -v m="$major" '$1 == m' | head -n 1)
if [ "$status" != online ]; then
    say "starting PostgreSQL $major/$cluster"
    "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$major" "$cluster" start
fi
for _ in $(seq 1 30); do
    as_postgres pg_isready -q -p "$port" && break
    sleep 0.5
done
me=$(id -un)
if [ "$(as_postgres psql -p "$port" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$me'")" != 1 ]; then
    say "creating database role $me"
    as_postgres psql -p "$port" -qc "CREATE ROLE \"$me\" LOGIN SUPERUSER"
fi
if [ "$(as_postgres psql -p "$port" -tAc "SELECT 1 FROM pg_database WHERE datname = 'diaban'")" != 1 ]; then
    say "creating database diaban"
    as_postgres createdb -p "$port" -O "$me" diaban
fi
if [ "$port" != 5432 ] && [ -z "${DATABASE_URL:-}" ]; then
    echo "PostgreSQL listens on port $port: export DATABASE_URL='postgresql+psycopg:///diaban?host=/var/run/postgresql&port=$port'" >&2
fi

# --- Python ---------------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
    say "creating the virtual environment"
    python3 -m venv .venv
fi
stamp=$(cat requirements.txt pyproject.toml | sha256sum | cut -c1-16)
if [ "$(cat .venv/.diaban-installed 2>/dev/null)" != "$stamp" ]; then
    say "installing Python packages"
    .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt 2>&1 | grep -v "^WARNING: Location" || true
    .venv/bin/pip install -q --disable-pip-version-check --no-deps -e . 2>&1 | grep -v "^WARNING: Location" || true
    .venv/bin/python -c "import geo, boundaries, etl, webapp, geopandas, flask, folium, psycopg" \
        && echo "$stamp" > .venv/.diaban-installed
fi
