"""``gitml check``: run the governance policy, exactly as the hooks and CI do."""

from __future__ import annotations

import sys

import click

from gitml.cli.output import make_out, output_options
from gitml.cli.run import open_repo
from gitml.ops.hook_run import POLICY_HOOKS
from gitml.ops.hooks import HOOK_NAMES as ALL_HOOKS

HOOK_NAMES = tuple(h for h in ALL_HOOKS if h in POLICY_HOOKS)


@click.command("check")
@click.option("--rule", "rule_id", metavar="ID", help="Run only this rule of the policy.")
@click.option("--base", metavar="REV", help="Compare metrics (regressions) with this revision.")
@click.option(
    "--hook",
    type=click.Choice(HOOK_NAMES),
    help="Run the rules of this hook, as the installed hook would.",
)
@click.option(
    "--ci",
    is_flag=True,
    help="Judge HEAD as committed (no data needed), against the pull request's target "
    "($GITHUB_BASE_REF) or --base, else the previous commit; rules are read from the base.",
)
@output_options
def check_cmd(
    rule_id: str | None,
    base: str | None,
    hook: str | None,
    ci: bool,
    as_json: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Check the policy in .gitml/policy.yaml; exit 1 when a rule fails.

    Without a policy file, the default policy refuses stale pipelines and
    tracked data that changed or is not in the cache.

    \b
    Examples:
      gitml check                         # every rule, on the work tree
      gitml check --hook pre-commit       # what the pre-commit hook runs
      gitml check --base main             # as if merging into main
      gitml check --ci --json             # in a CI job
      gitml check --rule metric-gate --base origin/main
    """
    from gitml.ops.policy import check

    out = make_out(as_json, quiet, verbose)
    with open_repo(out) as repo:
        result = check(repo, base=base, hook=hook, rule=rule_id, ci=ci)
    if out.json:
        out.emit_json(result.to_dict())
    else:
        for failure in result.failures:
            click.echo(f"FAIL {failure.line()}")
        for rule, why in result.skipped:
            out.detail(f"skipped {rule}: {why}" if rule else f"note: {why}")
        ran = len(result.rules_run)
        if result.passed:
            out.info(f"policy passed: {ran} rule{'s' * (ran != 1)} ({result.context})")
        else:
            n = len(result.failures)
            click.echo(
                f"policy failed: {n} problem{'s' * (n != 1)} in {ran} rule{'s' * (ran != 1)} "
                f"({result.context})",
                err=True,
            )
    if not result.passed:
        sys.exit(1)


@click.command("card")
@click.argument("model", type=click.Path())
@click.option("-n", "--dry-run", is_flag=True, help="Show the card; write nothing.")
@output_options
def card_cmd(model: str, dry_run: bool, as_json: bool, quiet: bool, verbose: bool) -> None:
    """Draft a model card for MODEL, or refresh the training data an existing card names.

    A new card (MODEL's stem + .card.yaml) is filled with what gitml knows:
    the training data and their hashes from stages.lock, metrics of the stages
    that evaluate the model, your git e-mail as owner. Fill in license,
    intended_use and limitations: the model-card rule refuses empty ones.
    An existing card keeps its fields and comments; only training_data changes.

    \b
    Example:
      gitml card models/model.pt && $EDITOR models/model.card.yaml
    """
    from gitml.ops.card import card

    out = make_out(as_json, quiet, verbose)
    with open_repo(out) as repo:
        result = card(repo, model, write=not dry_run)
    if out.json:
        out.emit_json(result.to_dict())
        return
    verb = "would write" if dry_run else ("wrote" if result.created else "updated")
    if result.changed:
        out.info(f"{verb} {result.card} ({len(result.training_data)} training data entries)")
    else:
        out.info(f"{result.card} is up to date")
    if result.created and not dry_run:
        out.info(f"now fill in license, intended_use and limitations in {result.card}")
