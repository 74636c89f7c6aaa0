#!/bin/bash
# What Grafana needs from InfluxDB 2.x, made sure of on every `docker compose up` (the one-shot
# influxdb-setup service runs it with `bash`, so no exec bit is needed): the DBRP mapping that lets
# InfluxQL read the bucket as the database INFLUX_DATABASE, and Grafana's own read-only login for it.
#
# The influxdb image runs /docker-entrypoint-initdb.d only on its first set-up (influxdata-docker's
# influxdb/2.7/entrypoint.sh), so a volume set up by an earlier compose file, or a copy of this file
# that lost its exec bit, would never get the login, and Grafana would get 401 on every panel. This
# script is idempotent: it creates what is missing, sets the login's password to
# GRAFANA_INFLUX_PASSWORD when the login exists, and says what it did. It never prints a password.
set -euo pipefail
for name in INFLUX_HOST INFLUX_TOKEN INFLUX_ORG INFLUX_BUCKET INFLUX_DATABASE GRAFANA_INFLUX_USER GRAFANA_INFLUX_PASSWORD; do
  if [ -z "${!name:-}" ]; then
    echo "influxdb-setup: $name is not set (docker-compose.yml passes it from .env)" >&2
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
if [ -n "$(influx v1 auth list --username "$GRAFANA_INFLUX_USER" --hide-headers 2>/dev/null || true)" ]; then
  influx v1 auth set-password --username "$GRAFANA_INFLUX_USER" --password "$GRAFANA_INFLUX_PASSWORD" >/dev/null
  echo "influxdb-setup: Grafana's login $GRAFANA_INFLUX_USER exists; its password set to GRAFANA_INFLUX_PASSWORD"
else
  influx v1 auth create --username "$GRAFANA_INFLUX_USER" --password "$GRAFANA_INFLUX_PASSWORD" \
    --read-bucket "$bucket_id" --org "$INFLUX_ORG" >/dev/null
  echo "influxdb-setup: created Grafana's read-only login $GRAFANA_INFLUX_USER for the bucket $INFLUX_BUCKET"
fi
