#!/usr/bin/env bash
# The gitml tour, run by `make demo` (gitml and torch are on PATH from .venv):
# the digits example as a pipeline whose tuning stage (optuna) feeds training,
# an explained re-run after a param change, a no-op re-run, going back in
# history with git + gitml checkout, and governance: the policy in
# .gitml/policy.yaml checked by git hooks, and the pull-request report.
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
bold "(the policy in .gitml/policy.yaml wants a license and a source for every dataset)"
cat >> data/digits.csv.gz.gitml <<'EOF'
meta:
  license: CC-BY-4.0
  source: https://archive.ics.uci.edu/dataset/80 (UCI ML repository)
EOF
run cat data/digits.csv.gz.gitml
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
bold "== 3. The policy: a model needs a card naming its training data (the commit hook would refuse it)"
run gitml check || true
run gitml card models/model.pt
sed -i -e "s/^license: ''/license: CC-BY-4.0/" \
    -e "s/^intended_use: ''/intended_use: teaching example, 8x8 handwritten digits/" \
    -e "s/^limitations: ''/limitations: 1797 images from 43 writers, not for production/" \
    models/model.card.yaml
run cat models/model.card.yaml
run gitml check
bold "(from now on git hooks run the policy on every commit, merge and push)"
run gitml install
run git add -A
run git commit -q -m "first model"
bold "(a 300 KB file staged into git: the pre-commit hook refuses the commit and says what to do)"
head -c 300000 /dev/urandom > weights.bin
run git add weights.bin
run git commit -q -m "add weights" || true
run git rm -q --cached weights.bin
rm weights.bin

bold "== 4. On a branch, change one training param: prepare and tune are skipped, train and evaluate run"
run git checkout -q -b more-epochs
run sed -i 's/^  epochs: 30/  epochs: 40/' params.yaml
run gitml status
run gitml repro --explain
run gitml metrics show metrics/val.json
run git commit -q -am "train for 40 epochs"

bold "== 5. Nothing changed: nothing runs"
run gitml repro --explain

bold "== 6. Back in history: git checkout main (the hook runs gitml checkout) restores the first model"
run git checkout -q main
run gitml status
run gitml repro
run git checkout -q more-epochs

bold "== 7. The pull-request report for the param change: params, metrics, data, and the policy's verdict"
run gitml report --base main

bold "== done in $((SECONDS - start)) s"
