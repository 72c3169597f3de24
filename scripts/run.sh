#!/usr/bin/env bash
# `make run`: schema, boundaries, demo data, a first admin login, then the web app.
set -euo pipefail
cd "$(dirname "$0")/.."
diaban=.venv/bin/diaban
$diaban db init
$diaban boundaries load
$diaban demo --seed "${DEMO_SEED:-2016}"
secret=instance/admin-password
if ! $diaban users list | grep -q "^admin"; then
    mkdir -p instance
    .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(12))" > "$secret"
    chmod 600 "$secret"
    $diaban users add admin --role admin --password-stdin < "$secret"
fi
echo
if [ -f "$secret" ]; then
    echo "Đăng nhập / login:  admin  /  $(cat "$secret")   (kept in $secret)"
else
    echo "Đăng nhập / login:  admin  (password set earlier; add another login with: $diaban users add NAME --role admin)"
fi
exec $diaban serve --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
