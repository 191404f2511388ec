#!/usr/bin/env bash
# The gitml tour, run by `make demo` (gitml and torch are on PATH from .venv):
# the digits example as a pipeline whose tuning stage (optuna) feeds training,
# an explained re-run after a param change, a no-op re-run, and going back in
# history with git + gitml checkout.
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

bold "== 2. Run the pipeline: prepare -> tune (12 optuna trials, 2 at a time) -> train -> evaluate@val, evaluate@test"
run gitml dag
tune_start=$SECONDS
run gitml repro -j 2
bold "(the pipeline took $((SECONDS - tune_start)) s, tuning included)"
run gitml tune show tune -n 5
run cat tuning/best_params.yaml
run gitml metrics show
run git add -A
run git commit -q -m "first model"

bold "== 3. Change one training param: prepare and tune are skipped, train and evaluate run"
run sed -i 's/^  epochs: 30/  epochs: 40/' params.yaml
run gitml status
run gitml repro --explain
run gitml metrics show metrics/val.json
run git commit -q -am "train for 40 epochs"

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
