"""Run a pipeline: open its connections (within their concurrency limit), run every check,
and collect results. A check whose SQL fails becomes an `error` result; the pipeline goes on.

Order of work: pre-flight (columns of every referenced table, looked up once); then per (table,
where) ONE aggregate scan answering all its column-level checks (compiler.py); then the checks
with their own queries (relationships, freshness, schema, sql) and the comparisons; failing-row
samples are fetched only for checks that failed. Results keep the pipeline's check order.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from batchcore.connections import DbConnection, connection_slot, open_connection
from batchcore.errors import BatchError, ConnectionFailed, OperationCancelled, as_batch_error
from batchcore.operations.base import OperationContext
from batchcore.timeutil import utcnow_naive
from batchcore.validation import anomaly
from batchcore.validation.anomaly import HistorySource
from batchcore.validation.checks import COMPARISON_TYPES, plans_for
from batchcore.validation.checks.base import Check, Outcome, RunContext, ScanCheck, ratio
from batchcore.validation.compiler import ScanGroup, group_scans
from batchcore.validation.result import CheckResult, PipelineResult
from batchcore.validation.spec import PipelineSpec
from batchcore.workspace import Workspace


def expand(spec: PipelineSpec) -> list[Check]:
    """Every result row the pipeline produces, in file order; `check.position` = YAML index."""
    out: list[Check] = []
    for i, cs in enumerate(spec.checks):
        for plan in plans_for(cs):
            plan.position = i
            out.append(plan)
    return out


@contextmanager
def open_pipeline_connections(
    spec: PipelineSpec, workspace: Workspace, ctx: OperationContext | None, *, need_source: bool
) -> Iterator[tuple[DbConnection, DbConnection | None]]:
    """Target (and source when a comparison needs it), opened read-only while holding one of each
    connection's `max_concurrency` slots. Slots are taken in name order (two pipelines with
    crossed source/target never deadlock) and once per name (source = target uses one).
    Raises ConnectionFailed / ConfigError / NotFound, OperationCancelled while waiting."""
    names = {"target": spec.target}
    if need_source and spec.source is not None:
        names["source"] = spec.source
    specs = {n: workspace.connection(n, field=side) for side, n in names.items()}
    cancelled = (lambda: ctx.cancelled) if ctx else None
    with ExitStack() as stack:
        for name in sorted(specs):
            stack.enter_context(
                connection_slot(
                    specs[name],
                    cancelled=cancelled,
                    on_wait=(lambda msg: ctx.progress(msg, force=True)) if ctx else None,
                )
            )
        opened: dict[str, DbConnection] = {}
        for side, name in names.items():
            if name not in opened:
                if ctx:
                    ctx.progress(
                        f"opening {side} connection {name} ({specs[name].type})", force=True
                    )
                opened[name] = stack.enter_context(open_connection(specs[name], read_only=True))
        yield opened[names["target"]], opened.get(names.get("source"))


def _querier(op_ctx: OperationContext | None):
    """`run(conn, sql, call=None)`: conn.query(sql) (or `call()`) inside the operation's
    interrupt hook, so a force cancel or timeout stops the running statement."""

    def run(conn: DbConnection, sql: str, call=None):
        fn = call or (lambda: conn.query(sql))
        if op_ctx is None:
            return fn()
        op_ctx.check_cancelled()
        with op_ctx.interruptible(conn.cancel):
            return fn()

    return run


def run_pipeline(
    spec: PipelineSpec,
    workspace: Workspace,
    *,
    overrides: dict | None = None,
    ctx: OperationContext | None = None,
) -> PipelineResult:
    """Run every check of `spec` (after `overrides`) and answer the PipelineResult.

    Raises ConfigError (bad override), ConnectionFailed (a connection cannot open, or was lost
    mid-run: retryable), OperationCancelled (stop requested). Check failures and check errors are
    results.
    """
    spec = spec.with_overrides(overrides)
    started = time.perf_counter()
    plans = expand(spec)
    need_source = any(p.type in COMPARISON_TYPES for p in plans)
    with open_pipeline_connections(spec, workspace, ctx, need_source=need_source) as (
        target,
        source,
    ):
        rctx = RunContext(target, source, sample_size=spec.sample_size, runner=_querier(ctx))
        outcomes: dict[int, tuple[Outcome | None, str | None, float]] = {}
        scans = [p for p in plans if isinstance(p, ScanCheck)]
        ready: list[ScanCheck] = []
        for p in scans:  # pre-flight: missing columns become errors before anything scans
            t0 = time.perf_counter()
            try:
                p.prepare(rctx)
                ready.append(p)
            except Exception as exc:
                _reraise_cancel(exc, ctx)
                outcomes[id(p)] = (None, _message(exc), (time.perf_counter() - t0) * 1000)
        groups = group_scans(ready)
        done = 0
        for g in groups:
            if ctx:
                ctx.check_cancelled()
                ctx.progress(
                    f"scan {g.table} for {len(g.checks)} checks (check {done + 1} of {len(plans)})"
                )
            outcomes.update(_run_group(g, rctx, ctx))
            done += len(g.checks)
        for p in plans:
            if isinstance(p, ScanCheck):
                continue
            if ctx:
                ctx.check_cancelled()
                ctx.progress(f"check {plans.index(p) + 1} of {len(plans)}: {p.name}")
            t0 = time.perf_counter()
            try:
                out = p.run(rctx)
                outcomes[id(p)] = (out, None, (time.perf_counter() - t0) * 1000)
            except Exception as exc:
                _reraise_cancel(exc, ctx)
                outcomes[id(p)] = (None, _message(exc), (time.perf_counter() - t0) * 1000)
        results = [_result(i, p, outcomes[id(p)], spec, target) for i, p in enumerate(plans)]
    apply_anomalies(results, plans, getattr(ctx, "history", None), utcnow_naive())
    return PipelineResult(
        spec.project_id,
        spec.pipeline_id,
        spec.source,
        spec.target,
        results,
        duration_ms=(time.perf_counter() - started) * 1000,
    )


def apply_anomalies(
    results: list[CheckResult], plans: list[Check], history: HistorySource | None, at
) -> None:
    """Judge every result whose check declares a learned band (`anomaly:` or metric_anomaly)
    against the check's history before `at` (naive UTC), in place: the verdict goes to
    `observed["anomaly"]`; a value outside the band fails the check (warned for severity warn)
    with the reason; a check that could not run is not judged. `history` None (no job store,
    e.g. `validate`): every band is still learning."""
    for r, p in zip(results, plans, strict=True):
        band = p.spec.band_spec
        if band is None or r.status == "error":
            continue
        row = r.to_row()
        try:
            verdict = anomaly.evaluate(row, band, history, at=at)
        except Exception as exc:  # the store could not be read: say so, never pass silently
            r.status, r.passed, r.error = "error", False, f"anomaly history unreadable: {exc}"
            continue
        r.observed = {**r.observed, "anomaly": verdict.as_dict()}
        own = p.spec.type == "metric_anomaly"
        if verdict.state == "anomaly":
            before = r.details.get("reason") if not own and not r.passed else None
            r.details["reason"] = f"{before}; {verdict.reason}" if before else verdict.reason
            r.passed = False
            r.status = "warned" if p.severity == "warn" else "failed"
            if own:
                r.pass_rate = 0.0
        elif own:
            r.details["reason"] = verdict.reason


def _reraise_cancel(exc: Exception, ctx: OperationContext | None) -> None:
    """Errors that end the whole attempt instead of becoming one check's `error` result: a stop
    request, and a lost connection (the database went down mid-validation: every later check
    would fail the same way, and the attempt is retried under `max_retries` — a check result
    saying "error" would be a failed run, which is never retried)."""
    if isinstance(exc, OperationCancelled):
        raise exc
    if ctx is not None and ctx.cancelled:
        ctx.check_cancelled()
    lost = as_batch_error(exc)
    if isinstance(lost, ConnectionFailed):
        raise lost from exc


def _message(exc: Exception) -> str:
    if isinstance(exc, BatchError):
        return exc.message
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if not isinstance(exc, ValueError) else text


def _run_group(g: ScanGroup, rctx: RunContext, ctx: OperationContext | None) -> dict[int, tuple]:
    """One scan for the group; if it fails, each check alone so the error names its check."""
    conn = rctx.target
    out: dict[int, tuple] = {}
    t0 = time.perf_counter()
    try:
        _, rows = rctx.query("target", g.sql(conn))
        values = rows[0]
        share = (time.perf_counter() - t0) * 1000 / max(1, len(g.checks))
        for p in g.checks:
            t1 = time.perf_counter()
            try:
                o = p.evaluate(int(values[0] or 0), [values[i] for i in g.slots[id(p)]], rctx)
                _sample_if_failed(p, o, rctx)
                o.details.setdefault(
                    "scan", f"one scan of {g.table} answered {len(g.checks)} checks"
                )
                out[id(p)] = (o, None, share + (time.perf_counter() - t1) * 1000)
            except Exception as exc:
                _reraise_cancel(exc, ctx)
                out[id(p)] = (None, _message(exc), share + (time.perf_counter() - t1) * 1000)
        return out
    except Exception as exc:
        _reraise_cancel(exc, ctx)
    for p in g.checks:
        t1 = time.perf_counter()
        try:
            single = ScanGroup(g.table, g.where, [p])
            _, rows = rctx.query("target", single.sql(conn))
            vals = rows[0]
            o = p.evaluate(int(vals[0] or 0), [vals[i] for i in single.slots[id(p)]], rctx)
            _sample_if_failed(p, o, rctx)
            out[id(p)] = (o, None, (time.perf_counter() - t1) * 1000)
        except Exception as e2:
            _reraise_cancel(e2, ctx)
            out[id(p)] = (None, _message(e2), (time.perf_counter() - t1) * 1000)
    return out


def _sample_if_failed(p: ScanCheck, o: Outcome, rctx: RunContext) -> None:
    if (
        o.sample is None
        and o.failed_rows
        and "sample_sql" not in o.details
        and rctx.sample_size > 0
    ):
        sql = p.sample_sql(rctx.target, rctx.sample_size)
        if sql:
            o.sample = rctx.sample("target", sql)
            o.details["sample_sql"] = sql


def _result(
    index: int,
    p: Check,
    got: tuple[Outcome | None, str | None, float],
    spec: PipelineSpec,
    target: DbConnection,
) -> CheckResult:
    outcome, error, ms = got
    threshold = p.spec.threshold if p.spec.threshold is not None else spec.threshold
    base: dict[str, Any] = dict(
        check_index=index,
        check_name=p.name,
        check_type=p.type,
        table_name=p.table,
        columns=list(p.columns),
        severity=p.severity,
        project_id=spec.project_id,
        pipeline_id=spec.pipeline_id,
        duration_ms=ms,
    )
    if outcome is None:
        sql = None
        try:
            sql = p.standalone_sql(target) if isinstance(p, ScanCheck) else None
        except Exception:
            sql = None
        return CheckResult(
            **base,
            threshold=threshold,
            status="error",
            passed=False,
            error=error,
            sql=sql,
            details={"position": p.position + 1},
        )
    if outcome.uses_threshold:
        rate = (
            outcome.pass_rate
            if outcome.pass_rate is not None
            else ratio(outcome.failed_rows, outcome.total_rows)
        )
        passed = rate >= threshold - 1e-12
    else:
        rate = (
            outcome.pass_rate if outcome.pass_rate is not None else (1.0 if outcome.passed else 0.0)
        )
        passed, threshold = bool(outcome.passed), None
    status = "passed" if passed else ("warned" if p.severity == "warn" else "failed")
    sql = outcome.sql
    if sql is None and isinstance(p, ScanCheck):
        sql = p.standalone_sql(target)
    return CheckResult(
        **base,
        threshold=threshold,
        status=status,
        passed=passed,
        total_rows=outcome.total_rows,
        failed_rows=outcome.failed_rows,
        non_null_rows=outcome.non_null_rows,
        pass_rate=rate,
        duplicate_keys=outcome.duplicate_keys,
        observed=outcome.observed,
        sample=outcome.sample,
        sql=sql,
        details={"position": p.position + 1, **outcome.details},
    )
