#!/usr/bin/env bash
# `make run`: schema, boundaries, demo data, a first admin login, then the web app.
# The first admin's password is printed once and kept nowhere: note it, or set another one with
# `.venv/bin/diaban users password admin`.
set -euo pipefail
cd "$(dirname "$0")/.."
diaban=.venv/bin/diaban
$diaban db init
$diaban boundaries load
$diaban demo --seed "${DEMO_SEED:-2016}"
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
