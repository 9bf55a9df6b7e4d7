#!/bin/sh
# One-shot job (temporalio/admin-tools): creates the namespace Nimbus uses and registers
# its custom search attributes (contracts/search-attributes.ts; the compose file passes
# them as SEARCH_ATTRIBUTES="Name=Type ..."). Idempotent: existing ones are kept.
set -eu

: "${TEMPORAL_ADDRESS:?}" "${SEARCH_ATTRIBUTES:?}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_RETENTION:-72h}"

# Resolve the frontend to IPv4 first, as Temporal's own compose samples do: the server
# binds 0.0.0.0 and an IPv6 answer for the service name would never connect.
host="${TEMPORAL_ADDRESS%:*}"
port="${TEMPORAL_ADDRESS##*:}"
ip="$(getent ahosts "$host" | awk '/STREAM/ && $1 ~ /^[0-9.]+$/ { print $1; exit }' || true)"
export TEMPORAL_ADDRESS="${ip:-$host}:$port"

# A new namespace takes a few seconds to reach every frontend cache, so each step retries.
retry() {
  n=0
  until "$@"; do
    n=$((n + 1))
    [ "$n" -lt 30 ] || { echo "gave up: $*" >&2; return 1; }
    sleep 2
  done
}

retry temporal operator cluster health
temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1 ||
  retry temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION"

for pair in $SEARCH_ATTRIBUTES; do
  name="${pair%%=*}"
  type="${pair##*=}"
  if retry temporal operator search-attribute list --namespace "$NAMESPACE" | grep -qw "$name"; then
    echo "search attribute $name exists"
  else
    retry temporal operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type"
  fi
done
echo "Temporal namespace $NAMESPACE ready"
