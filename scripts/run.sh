#!/usr/bin/env bash
# `make run`: schema, boundaries, demo data, a first admin login, then the web app.
# The first admin's password is printed once and kept nowhere: note it, or set another one with
# `.venv/bin/diaban users password admin`.
set -euo pipefail
cd "$(dirname "$0")/.."
diaban=.venv/bin/diaban
$diaban db init
$diaban boundaries load
demo=$($diaban demo --seed "${DEMO_SEED:-2016}" --json)
if grep -q '"status": "loaded"' <<<"$demo"; then
    # A fresh demo set: classify every closed year and half-year it has data for (2016 → 2026-06),
    # so the first map shows statuses. Each run is a stored snapshot; done once per demo load.
    last_year=$(( $(date +%Y) - 1 )); (( last_year > 2026 )) && last_year=2026
    periods=()
    for year in $(seq 2016 "$last_year"); do periods+=("$year-H1" "$year-H2" "$year"); done
    if (( $(date +%Y) <= 2026 && 10#$(date +%m) > 6 )); then periods+=("$(date +%Y)-H1"); fi
    echo "demo data loaded; classifying ${#periods[@]} closed periods (one snapshot each)…"
    for period in "${periods[@]}"; do
        $diaban classify --period "$period" >/dev/null
    done
else
    echo "demo data already loaded (diaban demo --replace loads it again)"
fi
legacy=instance/admin-password  # where earlier versions kept the password in plain text
echo
if ! $diaban users list | grep -q $'^admin\t'; then
    password=$(.venv/bin/python -c "import secrets; print(secrets.token_urlsafe(12))")
    printf '%s\n' "$password" | $diaban users add admin --role admin --password-stdin
    echo "Đăng nhập / login:  admin  /  $password"
    echo "(hiện một lần, không lưu ở đâu / shown once, stored nowhere: note it now;"
    echo " change it with: $diaban users password admin)"
    unset password
elif [ -f "$legacy" ]; then
    echo "Đăng nhập / login:  admin  /  $(cat "$legacy")   (shown one last time: $legacy is now removed)"
    rm -f "$legacy"
else
    echo "Đăng nhập / login:  admin  (password set earlier; forgotten? $diaban users password admin)"
fi
exec $diaban serve --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
