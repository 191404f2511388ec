"""``gitml repro``: run stale stages in dependency order, and only those.

Decisions and bookkeeping (hashing, cache, lock file) happen on the calling
thread; only the stage commands themselves run on worker threads, so
``-j N`` runs independent stages at once without sharing the state index
across threads. The lock file is updated after each successful stage.
"""

from __future__ import annotations

import concurrent.futures as cf
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gitml.core import envinfo, lockfile
from gitml.core.lockfile import LockEntry
from gitml.core.repo import Repo
from gitml.core.runcache import RunCache, run_key
from gitml.core.stages import Stage
from gitml.errors import GitmlError, StageFailed
from gitml.ops import outputs
from gitml.ops.pipeline import Pipeline, require_pipeline
from gitml.ops.runner import CommandResult, Output, run_commands, stop_all
from gitml.ops.staleness import Check, Inspector, Reason, check, stage_env

Event = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ReproOptions:
    force: bool = False
    single_item: bool = False
    downstream: bool = False
    dry: bool = False
    keep_going: bool = False
    jobs: int = 1
    run_cache: bool = True
    explain: bool = False
    strict_env: bool = False
    tune: Any = None  # gitml.ops.tune.TuneOptions for tuning stages


@dataclass(frozen=True, slots=True)
class StageOutcome:
    name: str
    action: str  # ran | restored | skipped | frozen | failed | blocked | would-run
    reasons: tuple[Reason, ...] = ()
    env_changes: tuple[str, ...] = ()
    seconds: float = 0.0
    exit_code: int | None = None
    error: str | None = None  # why a stage failed, when its command did not

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.name,
            "action": self.action,
            "reasons": [r.to_dict() for r in self.reasons],
            "env_changes": list(self.env_changes),
            "seconds": round(self.seconds, 3),
            "exit_code": self.exit_code,
            "error": self.error,
        }


@dataclass
class ReproResult:
    outcomes: list[StageOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[StageOutcome]:
        return [o for o in self.outcomes if o.action == "failed"]


def repro(
    repo: Repo,
    targets: Sequence[str] = (),
    options: ReproOptions | None = None,
    *,
    on_event: Event | None = None,
    on_output: Output | None = None,
) -> ReproResult:
    """Run what is stale. ``on_output`` receives the commands' output lines; without
    it the commands write straight to this process's stdout and stderr."""
    opts = options or ReproOptions()
    pipeline = require_pipeline(repo)
    names = pipeline.select(targets, single_item=opts.single_item, downstream=opts.downstream)
    forced = set(pipeline.resolve(targets)) if opts.force and targets else set(names)
    if not opts.force:
        forced = set()
    emit = on_event or (lambda _text: None)
    if opts.dry:
        return plan(repo, pipeline, names, opts, forced)
    with repo.lock("gitml repro"):
        runner = _Executor(repo, pipeline, opts, forced, emit, on_output)
        return runner.run(names)


def plan(
    repo: Repo, pipeline: Pipeline, names: list[str], opts: ReproOptions, forced: set[str]
) -> ReproResult:
    """What ``repro`` would do, without running anything (``--dry``, ``status``)."""
    entries = lockfile.load(repo.root)
    inspector = Inspector(repo)
    will_run: set[str] = set()
    result = ReproResult()
    for name in names:
        stage = pipeline.stages[name]
        if stage.frozen:
            result.outcomes.append(StageOutcome(name, "frozen"))
            continue
        found = check(
            inspector,
            stage,
            entries.get(name),
            rebuilt=will_run,
            producer=pipeline.dag.producer,
            tune_key=tune_key(pipeline, name),
        )
        reasons = _effective_reasons(found, name in forced, opts.strict_env)
        if reasons:
            will_run.add(name)
        action = "would-run" if reasons else "skipped"
        result.outcomes.append(StageOutcome(name, action, reasons, found.env_changes))
    return result


def tune_key(pipeline: Pipeline, name: str) -> str | None:
    spec = pipeline.tune_specs.get(name)
    if spec is None:
        return None
    from gitml.ops.tune_stage import spec_key

    return spec_key(spec)


def stage_status(repo: Repo) -> list[StageOutcome]:
    """Every stage of the pipeline with why it would run (empty without stages.yaml)."""
    from gitml.ops.pipeline import load_pipeline

    pipeline = load_pipeline(repo)
    if pipeline is None:
        return []
    return plan(repo, pipeline, pipeline.dag.order(), ReproOptions(), set()).outcomes


def _effective_reasons(found: Check, forced: bool, strict_env: bool) -> tuple[Reason, ...]:
    reasons = list(found.reasons)
    if strict_env and found.env_changes:
        reasons += [Reason("env", f"environment changed: {c}") for c in found.env_changes]
    if forced and not reasons:
        reasons.append(Reason("forced", "forced with --force"))
    return tuple(reasons)


class _Executor:
    def __init__(
        self,
        repo: Repo,
        pipeline: Pipeline,
        opts: ReproOptions,
        forced: set[str],
        emit: Event,
        on_output: Output | None,
    ) -> None:
        self.repo = repo
        self.pipeline = pipeline
        self.opts = opts
        self.forced = forced
        self.emit = emit
        self.on_output = on_output
        self.entries = lockfile.load(repo.root)
        self.inspector = Inspector(repo)
        self.runs = RunCache(repo.data_dir / "runs")
        self.result = ReproResult()
        self.order = pipeline.dag.order()

    def run(self, names: list[str]) -> ReproResult:
        pending = list(names)
        finished: dict[str, str] = {}  # name -> action
        running: dict[cf.Future[CommandResult], tuple[str, Check, float]] = {}
        stopping = False
        pool = cf.ThreadPoolExecutor(max_workers=max(1, self.opts.jobs))
        try:
            while pending or running:
                if not stopping:
                    self._schedule(pending, finished, running, pool)
                if not running:
                    break  # nothing started: every pending stage waits on a failed one
                done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    name, found, started = running.pop(future)
                    ok = self._finish(name, found, future.result(), time.monotonic() - started)
                    finished[name] = "ran" if ok else "failed"
                    if not ok and not self.opts.keep_going:
                        stopping = True
        except BaseException:
            stop_all()
            if self.pipeline.tune_specs:
                from gitml.ops.tune import stop_all as stop_tuning

                stop_tuning()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        for name in pending if stopping else []:
            self.result.outcomes.append(StageOutcome(name, "blocked"))
        failed = self.result.failed
        if failed and not self.opts.keep_going:
            first = failed[0]
            why = first.error or f"failed with exit code {first.exit_code}"
            raise StageFailed(
                f"stage {first.name} {why}",
                "fix the command and run `gitml repro` again; stages.lock was not changed for it",
            )
        return self.result

    def _schedule(
        self,
        pending: list[str],
        finished: dict[str, str],
        running: dict[cf.Future[CommandResult], tuple[str, Check, float]],
        pool: cf.ThreadPoolExecutor,
    ) -> None:
        busy = {name for name, _, _ in running.values()}
        for name in list(pending):
            if len(running) >= max(1, self.opts.jobs):
                return
            ups = self.pipeline.dag.upstream[name] & set(pending + list(finished) + list(busy))
            if any(finished.get(u) in ("failed", "blocked") for u in ups):
                pending.remove(name)
                finished[name] = "blocked"
                self.result.outcomes.append(StageOutcome(name, "blocked"))
                self.emit(f"stage {name}: not run, an upstream stage failed")
                continue
            if not all(u in finished for u in ups):
                continue
            pending.remove(name)
            started = self._start(name, pool)
            if started is None:
                finished[name] = "skipped"
            else:
                running[started[0]] = (name, started[1], time.monotonic())
                busy.add(name)

    def _start(
        self, name: str, pool: cf.ThreadPoolExecutor
    ) -> tuple[cf.Future[CommandResult], Check] | None:
        """Decide about a ready stage: skip, restore, or submit it; None unless submitted."""
        stage = self.pipeline.stages[name]
        if stage.frozen:
            self._done(StageOutcome(name, "frozen"), "frozen: not checked and not run")
            return None
        self.inspector.forget()
        found = check(
            self.inspector, stage, self.entries.get(name), tune_key=tune_key(self.pipeline, name)
        )
        reasons = _effective_reasons(found, name in self.forced, self.opts.strict_env)
        if not reasons:
            note = (
                f" (environment changed: {'; '.join(found.env_changes)})"
                if found.env_changes
                else ""
            )
            self._done(StageOutcome(name, "skipped", (), found.env_changes), f"up to date{note}")
            return None
        why = "; ".join(r.text for r in reasons)
        if self._cacheable(stage, found) and self._restore(stage, found):
            self._done(
                StageOutcome(name, "restored", reasons), f"restored from the run cache ({why})"
            )
            return None
        outputs.prepare(self.repo, stage)
        self.emit(
            f"stage {name}: running ({why})" if self.opts.explain else f"stage {name}: running"
        )
        env = stage_env(self.repo, stage, found)
        if name in self.pipeline.tune_specs:
            from gitml.ops.tune_stage import run_tune_stage

            spec = self.pipeline.tune_specs[name]
            future = pool.submit(
                run_tune_stage, self.repo, stage, spec, found, env, self.opts.tune, self.emit
            )
        else:
            future = pool.submit(
                run_commands,
                name,
                stage.cmd,
                cwd=self.repo.root / stage.wdir,
                env=env,
                output=self.on_output,
            )
        self.result.outcomes.append(StageOutcome(name, "running", reasons, found.env_changes))
        return future, found

    def _cacheable(self, stage: Stage, found: Check) -> bool:
        """Whether the run cache may stand in for running ``stage`` now.

        Not for forced or always_changed stages, not for stages with
        ``persist`` outputs (restoring would drop what they gained since),
        and not when --strict-env reruns for a changed environment (the
        cached result came from the old one).
        """
        return (
            self.opts.run_cache
            and stage.name not in self.forced
            and not stage.always_changed
            and not any(o.persist for o in stage.outs)
            and not (self.opts.strict_env and found.env_changes)
        )

    def _done(self, outcome: StageOutcome, text: str) -> None:
        self.result.outcomes.append(outcome)
        if outcome.action != "skipped" or self.opts.explain:
            self.emit(f"stage {outcome.name}: {text}")

    def _restore(self, stage: Stage, found: Check) -> bool:
        entry = self.runs.get(self._key(stage, found))
        if entry is None:
            return False
        records, env = entry
        if self.opts.strict_env and envinfo.differences(env, envinfo.fingerprint()):
            return False  # computed in another environment
        if not outputs.restore(self.repo, stage, records):
            return False
        self._write_lock(stage, found, records)
        return True

    def _key(self, stage: Stage, found: Check) -> str:
        outs = [(o.path, o.cache) for o in stage.outs]
        tune = tune_key(self.pipeline, stage.name)
        cmd = [*stage.cmd, f"# tune {tune}"] if tune else stage.cmd
        return run_key(cmd, found.deps, found.params, outs)

    def _finish(self, name: str, found: Check, res: CommandResult, seconds: float) -> bool:
        stage = self.pipeline.stages[name]
        reasons = next(o.reasons for o in self.result.outcomes if o.name == name)
        self.result.outcomes = [o for o in self.result.outcomes if o.name != name]
        if res.code != 0:
            self.result.outcomes.append(
                StageOutcome(name, "failed", reasons, (), seconds, res.code)
            )
            tail = f"\n{res.tail}" if res.tail and self.on_output is None else ""
            self.emit(f"stage {name}: `{res.failed_cmd}` failed with exit code {res.code}{tail}")
            return False
        try:
            records = outputs.collect(self.repo, stage)
        except GitmlError as exc:
            failed = StageOutcome(name, "failed", reasons, (), seconds, 0, exc.message)
            self.result.outcomes.append(failed)
            self.emit(f"stage {name}: {exc}")
            return False
        self._write_lock(stage, found, records, res.extra)
        self.runs.put(self._key(stage, found), name, records, envinfo.fingerprint())
        self.result.outcomes.append(
            StageOutcome(name, "ran", reasons, found.env_changes, seconds, 0)
        )
        self.emit(f"stage {name}: done in {seconds:.1f}s")
        return True

    def _write_lock(
        self,
        stage: Stage,
        found: Check,
        records: Sequence[lockfile.Record],
        tune: dict[str, Any] | None = None,
    ) -> None:
        spec = tune_key(self.pipeline, stage.name)
        if tune is None and spec is not None:  # restored: keep what the study recorded
            previous = self.entries.get(stage.name)
            tune = dict(previous.tune) if previous and previous.tune.get("spec") == spec else {}
            tune["spec"] = spec
        self.entries[stage.name] = LockEntry(
            cmd=stage.cmd,
            deps=found.deps,
            params=found.params,
            outs=tuple(records),
            env=envinfo.fingerprint(),
            tune=tune or {},
        )
        lockfile.save(self.repo.root, self.entries, self.order)
