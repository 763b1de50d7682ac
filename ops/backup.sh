#!/usr/bin/env bash
# Back up the Tripartite PostgreSQL database to one file (pg_dump's custom format).
#
#   TRIPARTITE_DATABASE_URL=postgresql+psycopg://user@host/db ops/backup.sh FILE
#   ops/backup.sh FILE [DATABASE_URL]
#
# The database is TRIPARTITE_DATABASE_URL's (or the second argument's): SQLAlchemy form
# (postgresql+psycopg://...) or libpq form (postgresql://...). A password, if any, is best given
# through ~/.pgpass or PGPASSWORD rather than in the URL. The dump is one consistent snapshot,
# taken while the application runs (pg_dump never blocks readers or writers), compressed, and
# holds the schema, the data, the sequences and the audit log's append-only triggers.
# The file is written next to FILE under a temporary name and renamed when complete, so FILE is
# never a partial dump. Restore it with ops/restore.sh.
set -euo pipefail

usage() { echo "usage: $0 FILE [DATABASE_URL]  (default: \$TRIPARTITE_DATABASE_URL)" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
file=$1
url=${2:-${TRIPARTITE_DATABASE_URL:-}}
[ -n "$url" ] || { echo "error: no database: set TRIPARTITE_DATABASE_URL or pass a URL" >&2; exit 2; }

case "$url" in
  postgresql://*|postgres://*) ;;
  postgresql+*://*) url="postgresql://${url#postgresql+*://}" ;;
  sqlite*) echo "error: $0 backs up PostgreSQL; for SQLite see docs/deploy.md" >&2; exit 2 ;;
  *) echo "error: not a PostgreSQL URL: ${url%%://*}://..." >&2; exit 2 ;;
esac

dir=$(dirname -- "$file")
[ -d "$dir" ] || { echo "error: the folder $dir does not exist" >&2; exit 2; }
partial=$(mktemp "$dir/.$(basename -- "$file").XXXXXX")
trap 'rm -f -- "$partial"' EXIT

pg_dump --format=custom --compress=6 --file="$partial" --dbname="$url"
# a dump that pg_restore cannot read is no backup
pg_restore --list "$partial" >/dev/null
mv -- "$partial" "$file"
trap - EXIT
echo "backed up ${url##*/} to $file ($(du -h -- "$file" | cut -f1))"
