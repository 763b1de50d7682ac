#!/usr/bin/env bash
# Restore a dump made by ops/backup.sh into an empty PostgreSQL database.
#
#   createdb -O tripartite tripartite_restored     # an empty database, owned by the app's role
#   ops/restore.sh FILE postgresql+psycopg://tripartite@host/tripartite_restored
#
# The URL may be in SQLAlchemy form (postgresql+psycopg://...) or libpq form. The target must
# hold no table (the script refuses otherwise: restoring over live data is never what you
# want). Everything is restored in one transaction (all or nothing), owned by the connecting
# role (--no-owner: the dump can move between servers and roles), then ANALYZEd. Point
# TRIPARTITE_DATABASE_URL at it and run `tripartite db upgrade` (a no-op when the dump is of the
# same release) before starting the application.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 FILE DATABASE_URL" >&2; exit 2; }
file=$1
url=$2
[ -r "$file" ] || { echo "error: cannot read $file" >&2; exit 2; }
case "$url" in
  postgresql://*|postgres://*) ;;
  postgresql+*://*) url="postgresql://${url#postgresql+*://}" ;;
  *) echo "error: not a PostgreSQL URL: ${url%%://*}://..." >&2; exit 2 ;;
esac

tables=$(psql --no-psqlrc --quiet --tuples-only --no-align --dbname="$url" \
  --command="SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [ "$tables" != "0" ]; then
  echo "error: the target database is not empty ($tables tables): restore into a new one" >&2
  exit 1
fi

pg_restore --exit-on-error --single-transaction --no-owner --no-privileges \
  --dbname="$url" "$file"
psql --no-psqlrc --quiet --dbname="$url" --command="ANALYZE"
echo "restored $file into ${url##*/}"
