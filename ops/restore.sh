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
#
# Attachments. When FILE.files.tar is there (ops/backup.sh with the local file store), its files
# are restored first into $TRIPARTITE_DATA_DIR/files (default var/files; point
# TRIPARTITE_DATA_DIR at the restored installation's folder): unpacked into files/tmp, then each
# renamed into place, so no file is ever half-written under its name; files already there are
# replaced by the archive's (a file's name is the SHA-256 of its bytes: the same bytes). With the
# S3 store (TRIPARTITE_FILE_STORE=s3) the bucket is restored from the store's own versioning or
# replication, not here.
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

archive=$file.files.tar
if [ "${TRIPARTITE_FILE_STORE:-local}" = s3 ]; then
  echo "attachments are in the S3 bucket: restore it from the store's versioning or replication"
elif [ -r "$archive" ]; then
  files=${TRIPARTITE_DATA_DIR:-var}/files
  mkdir -p -- "$files/tmp"
  staging=$(mktemp -d "$files/tmp/restore.XXXXXX")
  trap 'rm -rf -- "$staging"' EXIT
  tar --extract --file="$archive" --directory="$staging" --no-same-owner
  count=0
  while IFS= read -r -d '' path; do
    name=${path#"$staging"/}
    case "$name" in  # only files at ab/cd/<sha256>
      [0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*) ;;
      *) echo "error: not an attachment in $archive: $name" >&2; exit 1 ;;
    esac
    mkdir -p -- "$files/${name%/*}"
    mv -f -- "$path" "$files/$name"
    count=$((count + 1))
  done < <(find "$staging" -type f -print0)
  rm -rf -- "$staging"
  trap - EXIT
  echo "restored $count attachment files from $archive into $files"
else
  echo "no $archive: no attachment files restored"
fi

pg_restore --exit-on-error --single-transaction --no-owner --no-privileges \
  --dbname="$url" "$file"
psql --no-psqlrc --quiet --dbname="$url" --command="ANALYZE"
echo "restored $file into ${url##*/}"
