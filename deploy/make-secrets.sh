#!/bin/bash
# The secrets docker-compose.yml hands its containers as Docker secrets (files under /run/secrets/,
# never environment variables, so not in `docker inspect` or /proc/<pid>/environ), written once into
# ./secrets next to docker-compose.yml:
#
#   cloudflare_api_token     Radar's API token: from CLOUDFLARE_API_TOKEN (the environment or .env)
#   influx_admin_password    InfluxDB's admin login, set on its first start
#   influx_admin_token       InfluxDB's admin token, set on its first start; only influxdb-setup uses it
#   grafana_influx_password  Grafana's read-only InfluxDB login
#   grafana_admin_password   Grafana's admin login (http://localhost:3000)
#
# Run it with bash (`bash deploy/make-secrets.sh`); run it again at will: a file that exists is kept.
# A missing one is taken from the variable of the same name (the environment first, then .env, so
# that a stack set up by an earlier compose file, which held them in .env, keeps working), or else
# generated (32 random bytes, hex). CLOUDFLARE_API_TOKEN cannot be generated: without it, exit 2.
# It says where each came from and never prints one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/secrets"
env_file="$root/.env"

# The value of NAME in .env (NAME=value, optionally quoted), empty when it has none.
from_env_file() {
  [ -r "$env_file" ] || return 0
  awk -v name="$1" -v q="'" '
    index($0, name "=") == 1 {
      value = substr($0, length(name) + 2)
      first = substr(value, 1, 1)
      if (length(value) >= 2 && (first == "\"" || first == q) && substr(value, length(value)) == first)
        value = substr(value, 2, length(value) - 2)
      found = value
    }
    END { printf "%s", found }' "$env_file"
}

umask 077
mkdir -p "$dir"
# The directory keeps the files from other users of this machine; the files themselves must be
# readable inside the containers, whose users (grafana 472, node 1000) are not the owner: Compose
# bind-mounts file secrets as they are.
chmod 0700 "$dir"

# make_secret NAME FILE GENERATE: FILE kept if it has something, else NAME's value, else generated when
# GENERATE is "yes".
make_secret() {
  local name=$1 file="$dir/$2" generate=$3 value source
  if [ -s "$file" ]; then
    echo "make-secrets: secrets/$2 exists; kept"
    return
  fi
  if [ -n "${!name:-}" ]; then
    value=${!name} source="from $name"
  elif value=$(from_env_file "$name") && [ -n "$value" ]; then
    source="from $name in .env"
  elif [ "$generate" = yes ]; then
    value=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') source="generated"
  else
    echo "make-secrets: secrets/$2 needs $name: run CLOUDFLARE_API_TOKEN=<token> bash deploy/make-secrets.sh" >&2
    exit 2
  fi
  local tmp
  tmp=$(mktemp "$dir/.$2.XXXXXX")
  printf '%s\n' "$value" >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$file"
  echo "make-secrets: secrets/$2 $source"
}

make_secret CLOUDFLARE_API_TOKEN cloudflare_api_token no
make_secret INFLUX_ADMIN_PASSWORD influx_admin_password yes
make_secret INFLUX_TOKEN influx_admin_token yes
make_secret GRAFANA_INFLUX_PASSWORD grafana_influx_password yes
make_secret GRAFANA_ADMIN_PASSWORD grafana_admin_password yes
echo "make-secrets: done; Grafana's admin password is in secrets/grafana_admin_password"
