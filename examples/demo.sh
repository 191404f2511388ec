#!/usr/bin/env bash
# The gitml tour, run by `make demo` (gitml and torch are on PATH from .venv):
# the digits example as a pipeline, an explained re-run after a param change,
# a no-op re-run, and going back in history with git + gitml checkout.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/gitml-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
run() { printf '\n\033[1;34m$ %s\033[0m\n' "$*"; "$@"; }
start=$SECONDS

cp -r "$here/digits/." "$work/"
cd "$work"
git init -q -b main
git config user.email demo@gitml.invalid
git config user.name "gitml demo"

bold "== 1. A project: code, params, the raw dataset (57 KB) and stages.yaml in $work"
run cat stages.yaml
run gitml init
run gitml add data/digits.csv.gz
run git add -A
run git commit -q -m "digits project"

bold "== 2. Run the pipeline: prepare -> train -> evaluate@val, evaluate@test"
run gitml dag
run gitml repro
run gitml metrics show
run git add -A
run git commit -q -m "first model"

bold "== 3. Change one training param: only train and evaluate run again"
run sed -i 's/^  lr: .*/  lr: 0.01/' params.yaml
run gitml status
run gitml repro --explain
run gitml metrics show metrics/val.json
run git commit -q -am "lr 0.01"

bold "== 4. Nothing changed: nothing runs"
run gitml repro --explain

bold "== 5. Back in history: git checkout + gitml checkout restore the first model"
run git checkout -q HEAD~1
run gitml checkout
run gitml status
run gitml repro
run git checkout -q main
run gitml checkout

bold "== done in $((SECONDS - start)) s"
