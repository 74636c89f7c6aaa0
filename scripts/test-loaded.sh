#!/usr/bin/env bash
# The suite as CI's shared machine runs it: both cores held by two busy processes while the tests run.
#   npm run test:loaded                  # npm test once, loaded
#   npm run test:loaded -- 3             # three times in a row, stopping at the first failure
#   npm run test:loaded -- 10 npm run test:unit
# The busy processes end with this script, however it ends.
set -euo pipefail
times=${1:-1}
shift || true
[ $# -gt 0 ] || set -- npm test
busy=()
stop_busy() { [ ${#busy[@]} -eq 0 ] || kill "${busy[@]}" 2>/dev/null || true; }
trap stop_busy EXIT
for _ in 1 2; do
  node -e 'for(;;){}' &
  busy+=($!)
done
for ((i = 1; i <= times; i++)); do
  started=$(date +%s)
  echo "== loaded run $i of $times: $*"
  "$@"
  echo "== loaded run $i of $times passed in $(($(date +%s) - started)) s"
done
