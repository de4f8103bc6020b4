#!/bin/sh
# Entrypoint of the app image (web, worker, beat). SECRET_KEY comes from the environment; when it is not
# given (a first `docker compose up` on a fresh machine), one is generated once and kept in the volume
# mounted at /var/lib/crm, which web, worker and beat share: the first container to start writes it
# (atomically: `ln` fails for the others), every one reads the same key.
set -eu
if [ -z "${SECRET_KEY:-}" ]; then
  key_file=${SECRET_KEY_FILE:-/var/lib/crm/secret_key}
  if [ ! -s "$key_file" ]; then
    umask 077
    tmp="$key_file.$$"
    python3 -c 'import secrets; print(secrets.token_urlsafe(64))' > "$tmp"
    ln "$tmp" "$key_file" 2>/dev/null || true
    rm -f "$tmp"
  fi
  SECRET_KEY=$(cat "$key_file")
  export SECRET_KEY
fi
exec "$@"
