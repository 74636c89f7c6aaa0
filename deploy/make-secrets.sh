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
#   influxdb3_admin_token    InfluxDB 3 Core's admin token (docker-compose.influxdb3.yml only): `apiv3_`
#                            and 64 random bytes in hex, the form Core's own tokens have
#   influxdb3_admin_token.json  the same token as Core reads it at start (INFLUXDB3_ADMIN_TOKEN_FILE:
#                            {"token", "name"}, influxdb3/src/commands/serve.rs), made from the one above
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

# The value of NAME in .env, read as Compose reads it (compose-go dotenv/parser.go, which
# docker-compose 1.29 agrees with): an optional `export `; spaces around `=` dropped; an unquoted
# value ends at " #" (an inline comment) and loses its trailing blanks; a quoted one ends at its
# closing quote, `\"` (or `\'`) inside it being the quote itself, and a double-quoted one turns `\n`,
# `\t`, `\\` and the like into what they stand for; the last definition wins. A value that Compose
# would expand (a `$`) or that spans lines is not guessed at: exit 2, saying to write that secret's
# file by hand. Empty when .env does not define NAME.
from_env_file() {
  [ -r "$env_file" ] || return 0
  awk -v name="$1" '
    function fail(why) { printf "make-secrets: %s in .env %s: write secrets/ for it by hand\n", name, why > "/dev/stderr"; failed = 1; exit 2 }
    {
      line = $0
      sub(/\r$/, "", line)
      sub(/^[ \t]+/, "", line)
      if (line == "" || substr(line, 1, 1) == "#") next
      sub(/^export[ \t]+/, "", line)
      eq = index(line, "=")
      if (eq == 0) next
      key = substr(line, 1, eq - 1)
      sub(/[ \t]+$/, "", key)
      if (key != name) next
      value = substr(line, eq + 1)
      sub(/^[ \t]+/, "", value)
      q = substr(value, 1, 1)
      if (q == "\"" || q == "\047") {
        out = ""; closed = 0
        for (i = 2; i <= length(value); i++) {
          c = substr(value, i, 1)
          if (c == "\\" && i < length(value)) {
            n = substr(value, i + 1, 1)
            if (n == q) { out = out q; i++; continue }
            if (q == "\"") {
              if (n == "n") { out = out "\n"; i++; continue }
              if (n == "t") { out = out "\t"; i++; continue }
              if (n == "r") { out = out "\r"; i++; continue }
              if (n == "\\") { out = out "\\"; i++; continue }
            }
            out = out c; continue
          }
          if (c == q) { closed = 1; break }
          out = out c
        }
        if (!closed) fail("has a quote that does not close on its line")
        if (q == "\"" && index(out, "$") > 0) fail("holds a $, which Compose would expand")
        found = out
      } else {
        cut = index(value, " #")
        if (cut > 0) value = substr(value, 1, cut - 1)
        sub(/[ \t]+$/, "", value)
        if (index(value, "$") > 0) fail("holds a $, which Compose would expand")
        found = value
      }
    }
    END { if (!failed) printf "%s", found }' "$env_file"
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
  if [ -e "$file" ]; then
    # A file holding nothing but blanks would be an empty secret (an InfluxDB admin with no password).
    if [ -z "$(tr -d ' \t\r\n' <"$file")" ]; then
      echo "make-secrets: secrets/$2 is empty: remove it to have it made again, or write the secret in it" >&2
      exit 2
    fi
    echo "make-secrets: secrets/$2 exists; kept"
    return
  fi
  if [ -n "${!name:-}" ]; then
    value=${!name} source="from $name"
  elif ! value=$(from_env_file "$name"); then
    exit 2
  elif [ -n "$value" ]; then
    source="from $name in .env"
  elif [ "$generate" = yes ]; then
    value=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') source="generated"
  elif [ "$generate" = influxdb3 ]; then
    value=apiv3_$(head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n') source="generated"
  else
    echo "make-secrets: secrets/$2 needs $name: run CLOUDFLARE_API_TOKEN=<token> bash deploy/make-secrets.sh" >&2
    exit 2
  fi
  write_secret "$2" "$value"
  echo "make-secrets: secrets/$2 $source"
}

# write_secret FILE VALUE: FILE (under secrets/) holds VALUE and a newline, whole or not at all.
write_secret() {
  local tmp
  tmp=$(mktemp "$dir/.$1.XXXXXX")
  printf '%s\n' "$2" >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$dir/$1"
}

make_secret CLOUDFLARE_API_TOKEN cloudflare_api_token no
make_secret INFLUX_ADMIN_PASSWORD influx_admin_password yes
make_secret INFLUX_TOKEN influx_admin_token yes
make_secret GRAFANA_INFLUX_PASSWORD grafana_influx_password yes
make_secret GRAFANA_ADMIN_PASSWORD grafana_admin_password yes
make_secret INFLUXDB3_ADMIN_TOKEN influxdb3_admin_token influxdb3
# Core's JSON form of that token, made again whenever the token file is newer or it is missing, so the
# two never disagree. Core refuses a token that does not start with apiv3_ (initialize_admin_token_from_file).
token=$(tr -d ' \t\r\n' <"$dir/influxdb3_admin_token")
case $token in
  apiv3_*[!A-Za-z0-9_+/=-]* | apiv3_)
    echo "make-secrets: secrets/influxdb3_admin_token must be apiv3_ and letters, digits, _-+/= only" >&2
    exit 2 ;;
  apiv3_*) ;;
  *)
    echo "make-secrets: secrets/influxdb3_admin_token must start with apiv3_ (InfluxDB 3 refuses it otherwise)" >&2
    exit 2 ;;
esac
if [ ! -e "$dir/influxdb3_admin_token.json" ] || [ "$dir/influxdb3_admin_token" -nt "$dir/influxdb3_admin_token.json" ]; then
  write_secret influxdb3_admin_token.json "{\"token\": \"$token\", \"name\": \"_admin\"}"
  echo "make-secrets: secrets/influxdb3_admin_token.json from secrets/influxdb3_admin_token"
fi
echo "make-secrets: done; Grafana's admin password is in secrets/grafana_admin_password"
