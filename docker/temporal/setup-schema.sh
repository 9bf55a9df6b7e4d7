#!/bin/sh
# One-shot job (temporalio/admin-tools): creates Temporal's two databases in the shared
# PostgreSQL and brings their schemas to the version this admin-tools image ships.
# Safe to run on every `docker compose up`: `create` skips an existing database,
# `setup-schema -v 0.0` leaves a newer schema alone, `update-schema` applies only
# the versions that are missing (this is also how a Temporal upgrade migrates).
set -eu

: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
DB_PORT="${DB_PORT:-5432}"
SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" \
    -u "$POSTGRES_USER" "$@"
}

attempt=0
until nc -z -w 5 "$POSTGRES_SEEDS" "$DB_PORT"; do
  attempt=$((attempt + 1))
  [ "$attempt" -lt 30 ] || { echo "PostgreSQL at $POSTGRES_SEEDS:$DB_PORT unreachable" >&2; exit 1; }
  sleep 2
done

for store in temporal:temporal temporal_visibility:visibility; do
  db="${store%%:*}"
  dir="${store##*:}"
  echo "Temporal schema: $db"
  sql --db "$db" create
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "$SCHEMA_ROOT/$dir/versioned"
done
echo "Temporal schema ready"
