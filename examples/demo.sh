#!/usr/bin/env bash
# The gitml tour: run by `make demo` (gitml is on PATH from .venv).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/gitml-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }

cd "$work"
git init -q -b main
git config user.email demo@gitml.invalid
git config user.name "gitml demo"

echo "== data tracking tour in $work"
run gitml init
mkdir -p data
cp "$here/digits/data/digits.csv.gz" data/
run gitml add data/digits.csv.gz
run git add -A
run git commit -q -m "track the digits dataset"
say "change the dataset (drop its last 100 rows)"
gunzip -c data/digits.csv.gz | head -n 1697 | gzip -n > data/smaller.gz && mv data/smaller.gz data/digits.csv.gz
run gitml status || true
run gitml add data/digits.csv.gz
run git commit -q -am "smaller dataset"
run git checkout -q HEAD~1
run gitml checkout
run gitml status
say "gunzip -c data/digits.csv.gz | wc -l   # the first version is back"
gunzip -c data/digits.csv.gz | wc -l
run git checkout -q main
run gitml checkout
run gitml gc --all-branches --dry-run
