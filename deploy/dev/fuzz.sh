#!/usr/bin/env bash
# make fuzz: runs every fuzz target in the module for $1 (default 20s) each.
# go test -fuzz takes one target per run, so this lists them and runs each in turn.
set -euo pipefail
cd "$(dirname "$0")/../.."
fuzztime=${1:-20s}
status=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "=== fuzz $pkg $target ($fuzztime)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" || status=1
  done
done
exit $status
