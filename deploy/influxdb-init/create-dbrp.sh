#!/bin/bash
# Runs once, after InfluxDB 2.7's first-start setup: maps the InfluxQL database INFLUX_DATABASE to the
# bucket, so that Grafana's InfluxQL queries (and radar-netflows' dashboards) work on 2.x.
set -euo pipefail
bucket_id=$(influx bucket list --name "${DOCKER_INFLUXDB_INIT_BUCKET}" --hide-headers | cut -f 1)
influx v1 dbrp create --db "${INFLUX_DATABASE}" --rp autogen --bucket-id "${bucket_id}" --default
