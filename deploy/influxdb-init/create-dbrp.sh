#!/bin/bash
# Runs once, after InfluxDB 2.7's first-start setup: maps the InfluxQL database INFLUX_DATABASE to the
# bucket, so that Grafana's InfluxQL queries (and radar-netflows' dashboards) work on 2.x, and gives
# Grafana a read-only login for it.
set -euo pipefail
bucket_id=$(influx bucket list --name "${DOCKER_INFLUXDB_INIT_BUCKET}" --hide-headers | cut -f 1)
influx v1 dbrp create --db "${INFLUX_DATABASE}" --rp autogen --bucket-id "${bucket_id}" --default
# Grafana reads with its own login, allowed to read this bucket and nothing else (never the admin token).
influx v1 auth create --username "${GRAFANA_INFLUX_USER}" --password "${GRAFANA_INFLUX_PASSWORD}" \
  --read-bucket "${bucket_id}" --org "${DOCKER_INFLUXDB_INIT_ORG}"
