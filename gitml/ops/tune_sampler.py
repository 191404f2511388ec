"""Samplers, pruners and suggesting a trial's params from a :class:`TuneSpec`.

Reproducibility: with a seed, each trial's sampler is seeded from the seed
and the trial's *slot* (its position among the trials that were not
abandoned by a killed run). So two fresh runs with ``jobs=1`` propose the
same params in the same order, and a study resumed after a crash proposes
what the uninterrupted run would have proposed.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.study import Study
from optuna.trial import FrozenTrial, Trial, TrialState

from gitml.core.tune_space import ParamSpace, TuneSpec

ABANDONED = "gitml_abandoned"  # user attr of a trial whose run died (state FAIL)


def derive_seed(seed: int, slot: int) -> int:
    digest = hashlib.sha256(f"gitml:{seed}:{slot}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def slot_of(study: Study, number: int) -> int:
    """How many trials before ``number`` count: all but those a dead run abandoned."""
    return sum(
        1
        for t in study.get_trials(deepcopy=False)
        if t.number < number and not (t.state == TrialState.FAIL and ABANDONED in t.user_attrs)
    )


class SlotSeededSampler(BaseSampler):
    """Delegates each trial to a fresh sampler seeded from (seed, slot of the trial)."""

    def __init__(self, factory: Callable[[int], BaseSampler], seed: int) -> None:
        self._factory = factory
        self._seed = seed
        self._inner: dict[int, BaseSampler] = {}
        self._lock = threading.Lock()

    def _for(self, study: Study, trial: FrozenTrial) -> BaseSampler:
        with self._lock:
            inner = self._inner.get(trial.number)
        if inner is None:
            inner = self._factory(derive_seed(self._seed, slot_of(study, trial.number)))
            with self._lock:
                inner = self._inner.setdefault(trial.number, inner)
        return inner

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._for(study, trial).before_trial(study, trial)

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        space: dict[str, BaseDistribution] = self._for(study, trial).infer_relative_search_space(
            study, trial
        )
        return space

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        values: dict[str, Any] = self._for(study, trial).sample_relative(study, trial, search_space)
        return values

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        inner = self._for(study, trial)
        return inner.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        with self._lock:
            inner = self._inner.pop(trial.number, None)
        if inner is not None:
            inner.after_trial(study, trial, state, values)


def _factory(spec: TuneSpec) -> Callable[[int | None], BaseSampler]:
    samplers = optuna.samplers

    def make(seed: int | None) -> BaseSampler:
        if spec.sampler == "random":
            return samplers.RandomSampler(seed=seed)
        if spec.sampler == "cmaes":
            return samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
        if spec.sampler == "nsga2":
            return samplers.NSGAIISampler(seed=seed)
        return samplers.TPESampler(seed=seed)

    return make


class _GridSampler(optuna.samplers.GridSampler):
    """A grid whose end is the budget (capped at the grid's size), not ``study.stop()``,
    which only works inside ``study.optimize``."""

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        return None


def make_sampler(spec: TuneSpec) -> BaseSampler:
    if spec.sampler == "grid":  # trial n visits point n of the (seed-shuffled) grid
        grid = {p.name: p.grid() or [] for p in spec.space}
        return _GridSampler(grid, seed=spec.seed)
    make = _factory(spec)
    if spec.seed is None:
        return make(None)
    return SlotSeededSampler(make, spec.seed)


def make_pruner(spec: TuneSpec) -> optuna.pruners.BasePruner:
    p = spec.pruner
    if p.kind == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=p.startup_trials, n_warmup_steps=p.warmup_steps
        )
    if p.kind == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=p.min_resource,
            max_resource=p.max_resource if p.max_resource is not None else "auto",
            reduction_factor=p.reduction_factor,
        )
    return optuna.pruners.NopPruner()


def suggest(trial: Trial, space: Sequence[ParamSpace]) -> dict[str, Any]:
    """Sample every active param (dependency order), as {dotted name: value}."""
    values: dict[str, Any] = {}
    for p in space:
        if not p.active(values):
            continue
        if p.kind == "choice":
            values[p.name] = trial.suggest_categorical(p.name, list(p.choices))
        elif p.kind == "int":
            assert p.low is not None and p.high is not None
            values[p.name] = trial.suggest_int(
                p.name, int(p.low), int(p.high), step=int(p.step or 1), log=p.log
            )
        else:
            assert p.low is not None and p.high is not None
            values[p.name] = trial.suggest_float(
                p.name, float(p.low), float(p.high), step=p.step, log=p.log
            )
    return values
