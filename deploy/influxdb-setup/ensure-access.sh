#!/bin/bash
# What Grafana and radar-netflows need from InfluxDB 2.x, made sure of on every `docker compose up`
# (the one-shot influxdb-setup service runs it with `bash`, so no exec bit is needed):
# - the DBRP mapping that lets InfluxQL read the bucket as the database INFLUX_DATABASE;
# - Grafana's own read-only v1 login for the bucket;
# - radar-netflows' own token, allowed to write to the bucket and nothing else (not the admin
#   token), written to WRITER_TOKEN_FILE for the service to read as INFLUX_TOKEN_FILE.
#
# The influxdb image runs /docker-entrypoint-initdb.d only on its first set-up (influxdata-docker's
# influxdb/2.7/entrypoint.sh), so a volume set up by an earlier compose file, or a copy of this file
# that lost its exec bit, would never get them, and Grafana would get 401 on every panel. This
# script is idempotent: it creates what is missing, sets the login's password to the one given when
# the login exists, keeps the writer token while its authorization exists, and says what it did.
# It never prints a password or a token.
#
# Secrets come from files (compose's Docker secrets): NAME_FILE names the file holding NAME.
set -euo pipefail

# NAME, or the content of the file NAME_FILE names (its last newline dropped), exported as NAME.
read_secret() {
  local name=$1 file_var="${1}_FILE"
  local file=${!file_var:-}
  if [ -n "$file" ]; then
    if [ -n "${!name:-}" ]; then
      echo "influxdb-setup: $name and $file_var are both set; set one" >&2
      exit 2
    fi
    if [ ! -r "$file" ]; then
      echo "influxdb-setup: $file_var names $file, which cannot be read" >&2
      exit 2
    fi
    printf -v "$name" '%s' "$(cat "$file")"
  fi
}
read_secret INFLUX_TOKEN
read_secret GRAFANA_INFLUX_PASSWORD
for name in INFLUX_HOST INFLUX_TOKEN INFLUX_ORG INFLUX_BUCKET INFLUX_DATABASE GRAFANA_INFLUX_USER GRAFANA_INFLUX_PASSWORD WRITER_TOKEN_FILE; do
  if [ -z "${!name:-}" ]; then
    echo "influxdb-setup: $name is not set (docker-compose.yml sets it; secrets come from ./secrets, see deploy/make-secrets.sh)" >&2
    exit 2
  fi
done
export INFLUX_HOST INFLUX_TOKEN INFLUX_ORG

# influx says itself why it cannot list (not found, unauthorized, unreachable); then the line below.
bucket_id=$(influx bucket list --name "$INFLUX_BUCKET" --hide-headers | cut -f 1 || true)
if [ -z "$bucket_id" ]; then
  echo "influxdb-setup: no bucket $INFLUX_BUCKET in the organisation $INFLUX_ORG at $INFLUX_HOST" >&2
  exit 1
fi

# A filter that matches nothing answers with nothing (or an error, depending on the CLI version):
# either way there is nothing to keep.
if [ -n "$(influx v1 dbrp list --db "$INFLUX_DATABASE" --hide-headers 2>/dev/null || true)" ]; then
  echo "influxdb-setup: the InfluxQL database $INFLUX_DATABASE already maps to a bucket"
else
  influx v1 dbrp create --db "$INFLUX_DATABASE" --rp autogen --bucket-id "$bucket_id" --default >/dev/null
  echo "influxdb-setup: mapped the InfluxQL database $INFLUX_DATABASE to the bucket $INFLUX_BUCKET"
fi

# Grafana reads with its own login, allowed to read this bucket and nothing else (never the admin token).
# The password goes on standard input, never on a command line (/proc/<pid>/cmdline is readable by
# every user): without --password, influx reads it as the first line of stdin when stdin is not a
# terminal (influx-cli pkg/stdio/stdio.go and noninteractive.go, since v2.1.0). printf is a builtin:
# no process of its own shows it either.
if [ -n "$(influx v1 auth list --username "$GRAFANA_INFLUX_USER" --hide-headers 2>/dev/null || true)" ]; then
  printf '%s\n' "$GRAFANA_INFLUX_PASSWORD" |
    influx v1 auth set-password --username "$GRAFANA_INFLUX_USER" >/dev/null
  echo "influxdb-setup: Grafana's login $GRAFANA_INFLUX_USER exists; its password set to GRAFANA_INFLUX_PASSWORD"
else
  printf '%s\n' "$GRAFANA_INFLUX_PASSWORD" |
    influx v1 auth create --username "$GRAFANA_INFLUX_USER" --read-bucket "$bucket_id" --org "$INFLUX_ORG" >/dev/null
  echo "influxdb-setup: created Grafana's read-only login $GRAFANA_INFLUX_USER for the bucket $INFLUX_BUCKET"
fi

# radar-netflows writes with a token of its own that may write to this bucket only: it needs no
# more (it only pings and posts /api/v2/write), and a leak of it cannot read or delete anything.
# The authorization is found again by its description. `--json` because its layout is the CLI's
# encoder's (clients/cli.go PrintJSON: one field a line, in the order of clients/auth/auth.go's
# token struct: id, description, token), where the table's padding is not.
writer="radar-netflows writes to the bucket $INFLUX_BUCKET"
# Prints "id<TAB>token" of every authorization in `influx auth list|create --json`'s output with that description.
writer_auths() {
  awk -v want="$writer" '
    function value(line) { sub(/^[^:]*: *"/, "", line); sub(/",? *$/, "", line); return line }
    /^[ \t]*"id":/ { id = value($0); description = ""; next }
    /^[ \t]*"description":/ { description = value($0); next }
    /^[ \t]*"token":/ { if (description == want) print id "\t" value($0) }'
}
write_token_file() {
  local dir tmp
  dir=$(dirname "$WRITER_TOKEN_FILE")
  tmp=$(mktemp "$dir/.token.XXXXXX")
  printf '%s\n' "$1" >"$tmp"
  # Readable by the service's own user (node, uid 1000) in a volume only it and this script mount.
  chmod 0644 "$tmp"
  mv -f "$tmp" "$WRITER_TOKEN_FILE"
}
# InfluxDB 2.9 stores tokens hashed by default (INFLUXD_USE_HASHED_TOKENS): `auth list` then shows an
# empty token (influxdb v2.9.1 authorization/storage_authorization.go clears it), and only the call
# that creates an authorization sees its token. So an authorization of the writer is known by its
# description; its token is read back where the server still can (2.7, or hashing off).
listed=$(influx auth list --org "$INFLUX_ORG" --json | writer_auths)
ids=$(printf '%s\n' "$listed" | cut -f 1 | grep -v '^$' || true)
tokens=$(printf '%s\n' "$listed" | cut -f 2 | grep -v '^$' || true)
current=""
[ -r "$WRITER_TOKEN_FILE" ] && current=$(cat "$WRITER_TOKEN_FILE")
if [ -n "$current" ] && printf '%s\n' "$tokens" | grep -qxF -- "$current"; then
  echo "influxdb-setup: radar-netflows' write-only token for the bucket $INFLUX_BUCKET exists; kept"
elif [ -n "$current" ] && [ -n "$ids" ] && [ -z "$tokens" ]; then
  # Hashed tokens: the file's token cannot be compared, but its authorization exists: kept.
  echo "influxdb-setup: radar-netflows' write-only token for the bucket $INFLUX_BUCKET exists (tokens are hashed); kept"
elif [ -n "$tokens" ]; then
  write_token_file "$(printf '%s\n' "$tokens" | head -n 1)"
  echo "influxdb-setup: radar-netflows' write-only token for the bucket $INFLUX_BUCKET exists; written again to $WRITER_TOKEN_FILE"
else
  token=$(influx auth create --org "$INFLUX_ORG" --write-bucket "$bucket_id" --description "$writer" --json |
    writer_auths | cut -f 2)
  if [ -z "$token" ]; then
    echo "influxdb-setup: influx auth create gave no token for radar-netflows" >&2
    exit 1
  fi
  write_token_file "$token"
  # Earlier ones whose hashed tokens nobody holds any more (a new volume): removed, not piled up.
  for id in $ids; do influx auth delete --id "$id" >/dev/null; done
  echo "influxdb-setup: created radar-netflows' write-only token for the bucket $INFLUX_BUCKET in $WRITER_TOKEN_FILE"
fi
