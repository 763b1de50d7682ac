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
#
# Attachments. With the local file store (TRIPARTITE_FILE_STORE unset or "local") their files,
# under $TRIPARTITE_DATA_DIR/files (default var/files), go into FILE.files.tar (uncompressed:
# documents are mostly compressed already; the temporary folder files/tmp is left out). The
# archive is taken after the dump: a file is stored before the row naming it is committed and
# never changes, so every file the dump names is in it. It is written under a temporary name
# too, and renamed before FILE: once FILE is there, FILE.files.tar is complete. With the S3
# store (TRIPARTITE_FILE_STORE=s3) no archive is made: the bucket is backed up by the store's
# own versioning and replication (see docs/deploy.md).
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
store=${TRIPARTITE_FILE_STORE:-local}
files=${TRIPARTITE_DATA_DIR:-var}/files
case "$store" in
  local|s3) ;;
  *) echo "error: TRIPARTITE_FILE_STORE is neither local nor s3: $store" >&2; exit 2 ;;
esac
partial=$(mktemp "$dir/.$(basename -- "$file").XXXXXX")
partial_files=$(mktemp "$dir/.$(basename -- "$file").files.XXXXXX")
trap 'rm -f -- "$partial" "$partial_files"' EXIT

pg_dump --format=custom --compress=6 --file="$partial" --dbname="$url"
# a dump that pg_restore cannot read is no backup
pg_restore --list "$partial" >/dev/null

if [ "$store" = local ]; then
  if [ -d "$files" ]; then
    # files are renamed into place complete and never change: a folder gaining entries while
    # tar reads it (exit status 1, "file changed as we read it") is no harm
    status=0
    tar --create --file="$partial_files" --directory="$files" --exclude=./tmp \
      --warning=no-file-changed . || status=$?
    [ "$status" -le 1 ] || exit "$status"
  else
    tar --create --file="$partial_files" --files-from=/dev/null  # no attachment yet
  fi
  tar --list --file="$partial_files" >/dev/null
  mv -- "$partial_files" "$file.files.tar"
fi
mv -- "$partial" "$file"
trap - EXIT
rm -f -- "$partial_files"
echo "backed up ${url##*/} to $file ($(du -h -- "$file" | cut -f1))"
if [ "$store" = local ]; then
  echo "backed up the attachments in $files to $file.files.tar ($(du -h -- "$file.files.tar" | cut -f1))"
else
  echo "attachments are in the S3 bucket: backed up by its versioning and replication, not here"
fi
