"""Compare what Dagster recorded for a run with what SQLMesh's own state says happened.

The oracle is SQLMesh's interval state (`sqlmesh._intervals`) read before and after the run: a
node evaluated successfully in the run exactly where its state gained time. Failures leave no
trace in that state, so they are deduced from it together with the one injected fault: the
fault's day ("cell") was missing before the run, the target was in scope, and the cell is still
missing after the run — for a fault that makes the batch fail, that can only mean the batch
containing the cell was attempted and failed (no other fault exists in the seed that could have
skipped it). Where the deduction contradicts the state, the harness itself is wrong, and that is
reported too (`harness_*`), never silently passed.

Interval comparison (divergence `intervals_mismatch`) is by covered time: Dagster's
`sqlmesh/intervals` list and SQLMesh's new intervals are both merged into disjoint ranges of
epoch milliseconds and compared as sets. One-to-one row matching would be unsound: SQLMesh's
janitor may compact interval rows, and a batch's interval is SQLMesh's business, not the user's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from truth_intervals import Interval, IntervalSet, covers, intersects, iso_to_ms, merge, new_intervals, show
from truth_projects import ProjectSpec

# Divergence categories, in report order, with what each means.
CATEGORIES = {
    "materialized_without_new_intervals": "(1) Dagster materialized a model whose SQLMesh state gained no interval in the run",
    "new_intervals_without_materialization": "(2) SQLMesh's state gained intervals for a selected model that Dagster did not materialize",
    "evaluated_outside_selection": "(2) SQLMesh's state gained intervals for a model Dagster did not select",
    "intervals_mismatch": "(3) the materialization's sqlmesh/intervals differ from the intervals SQLMesh's state gained",
    "partial_not_flagged": "(4) a model that also failed in the run was materialized without sqlmesh/partial: true",
    "partial_flag_without_failure": "(4) sqlmesh/partial: true on a model that did not fail",
    "duplicate_materialization": "a model materialized more than once in one run",
    "step_success_despite_failure": "(5) the step succeeded although a model or audit failed (or the run was terminated)",
    "step_failure_without_failure": "(5) the step failed although nothing failed",
    "check_passed_but_fault_fired": "(6) a check passed although its injected audit fault fired in an evaluated batch",
    "check_failed_without_fault": "(6) a check failed although no fault of its audit fired",
    "check_wrong_severity": "(6) check severity is not ERROR for a blocking / WARN for a non-blocking audit",
    "audit_ran_without_check": "(6) SQLMesh evaluated a model's audit but Dagster has no check result for it",
    "check_without_audit_run": "(6) a check result for an audit SQLMesh did not evaluate in the run",
    "duplicate_check": "(6) one check reported more than once in one run",
    "standalone_audit_not_reported": "(6) SQLMesh ran a standalone audit and no check on a model it queries reports it",
    "pipes_problem": "(7) Dagster reported a broken Pipes exchange",
    "harness_fault_had_no_effect": "harness: the injected fault could not be observed in SQLMesh's state",
    "harness_not_terminated": "harness: the termination fault never saw its model start blocking",
}


@dataclass(frozen=True)
class Divergence:
    """One disagreement between Dagster's event log and SQLMesh's state."""

    category: str
    run: int
    subject: str
    detail: str

    def line(self) -> str:
        """One line for reports."""
        return f"[{self.category}] run {self.run + 1}, {self.subject}: {self.detail}"


@dataclass
class Materialization:
    """A materialization Dagster recorded (raw metadata values)."""

    model: str
    intervals: list | None
    partial: object


@dataclass
class CheckResult:
    """A check evaluation Dagster recorded."""

    model: str
    name: str
    passed: bool
    severity: str


@dataclass
class DagsterRecord:
    """What Dagster's event log says about one run."""

    run_id: str
    run_status: str
    step_outcomes: list[str]
    """`success` / `failure` per step event."""
    step_failure: str | None
    materializations: list[Materialization] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    pipes_problems: list[str] = field(default_factory=list)


@dataclass
class RunObservation:
    """One Dagster run of a seed with SQLMesh's state around it."""

    index: int
    run_date: date
    """UTC date the fault days were computed from."""
    selected: list[str]
    """Models selected in Dagster."""
    before: dict[str, IntervalSet]
    after: dict[str, IntervalSet]
    dagster: DagsterRecord
    faults_active: bool
    """faults.csv held the seed's fault rows during this run."""
    block_started: bool = False
    """Termination: the blocking model started (marker file seen)."""
    terminated: bool = False
    """Termination: the harness terminated the run (CANCELING + SIGINT)."""

    def to_json(self) -> dict:
        """JSON-ready form (for the many-seed script's reports)."""
        data = asdict(self)
        data["run_date"] = self.run_date.isoformat()
        return data


def fault_cell(run_date: date, day_offset: int) -> Interval:
    """The injected fault's day as an interval of epoch milliseconds."""
    day = run_date + timedelta(days=day_offset)
    start = datetime.combine(day, time(0), tzinfo=timezone.utc)
    return int(start.timestamp() * 1000), int((start + timedelta(days=1)).timestamp() * 1000)


@dataclass
class Truth:
    """What SQLMesh's state (with the injected fault) says the run did."""

    new: dict[str, IntervalSet]
    fired: bool
    failed: set[str]
    """Nodes (models or standalone audits) whose evaluation failed, or was interrupted, in the run."""
    notes: list[Divergence]
    """Harness contradictions found while deducing."""


def deduce(spec: ProjectSpec, run: RunObservation) -> Truth:
    """The oracle: new intervals per node, whether the fault fired, which nodes failed."""
    new = new_intervals(run.before, run.after)
    fault = spec.fault
    notes: list[Divergence] = []
    if fault.kind == "termination":
        if run.faults_active and not run.block_started:
            notes.append(Divergence("harness_not_terminated", run.index, fault.target or "?", "the blocking model never started"))
        # The blocking model was interrupted: it did not complete, like a failed one.
        return Truth(new, run.terminated, {fault.target} if run.terminated and fault.target else set(), notes)
    if not run.faults_active or fault.target is None or fault.day_offset is None:
        return Truth(new, False, set(), notes)

    target = fault.target
    cell = fault_cell(run.run_date, fault.day_offset)
    in_scope = target in run.selected or spec.standalone(target) is not None
    missing_before = not covers(run.before.get(target, ()), cell)
    if fault.kind == "non_blocking_audit":
        # The batch commits despite the failing audit: the fault fired where the state gained the cell.
        fired = intersects(new.get(target, ()), cell)
        if in_scope and missing_before and not fired:
            notes.append(
                Divergence("harness_fault_had_no_effect", run.index, target, f"the cell {show((cell,))} was due but not evaluated")
            )
        return Truth(new, fired, set(), notes)
    # SQL error or blocking audit: the batch with the cell fails, so the cell stays missing.
    missing_after = not covers(run.after.get(target, ()), cell)
    fired = in_scope and missing_before and missing_after
    if in_scope and missing_before and not missing_after:
        notes.append(
            Divergence(
                "harness_fault_had_no_effect",
                run.index,
                target,
                f"SQLMesh committed {show((cell,))} although the fault should have failed that batch",
            )
        )
    return Truth(new, fired, {target} if fired else set(), notes)


def compare(spec: ProjectSpec, run: RunObservation) -> list[Divergence]:
    """Every divergence between Dagster's record of `run` and SQLMesh's state."""
    truth = deduce(spec, run)
    out = list(truth.notes)
    out += _compare_materializations(spec, run, truth)
    out += _compare_step(spec, run, truth)
    out += _compare_checks(spec, run, truth)
    out += [Divergence("pipes_problem", run.index, "run", problem[:300]) for problem in run.dagster.pipes_problems]
    return out


def _dagster_intervals(materialization: Materialization) -> IntervalSet | None:
    raw = materialization.intervals
    if not isinstance(raw, list):
        return None
    try:
        return merge([(iso_to_ms(start), iso_to_ms(end)) for start, end in raw])
    except (TypeError, ValueError):
        return None


def _compare_materializations(spec: ProjectSpec, run: RunObservation, truth: Truth) -> list[Divergence]:
    out: list[Divergence] = []
    by_model: dict[str, list[Materialization]] = {}
    for materialization in run.dagster.materializations:
        by_model.setdefault(materialization.model, []).append(materialization)
    for model in spec.models:
        name = model.name
        gained = truth.new.get(name, ())
        mats = by_model.get(name, [])
        if len(mats) > 1:
            out.append(Divergence("duplicate_materialization", run.index, name, f"{len(mats)} materializations"))
        if mats and not gained:
            out.append(
                Divergence(
                    "materialized_without_new_intervals",
                    run.index,
                    name,
                    f"Dagster: materialized with sqlmesh/intervals {mats[0].intervals}; SQLMesh state: no new interval",
                )
            )
        if gained and not mats:
            why = []
            if name in truth.failed:
                why.append("the model also failed in this run")
            if run.terminated:
                why.append("the run was terminated")
            category = "new_intervals_without_materialization" if name in run.selected else "evaluated_outside_selection"
            out.append(
                Divergence(
                    category,
                    run.index,
                    name,
                    f"SQLMesh state gained {show(gained)}; Dagster: no materialization" + (f" ({'; '.join(why)})" if why else ""),
                )
            )
        if gained and mats:
            recorded = _dagster_intervals(mats[0])
            if recorded != gained:
                shown = show(recorded) if recorded is not None else f"unreadable sqlmesh/intervals {mats[0].intervals!r}"
                out.append(Divergence("intervals_mismatch", run.index, name, f"Dagster: {shown}; SQLMesh state gained {show(gained)}"))
            if name in truth.failed and mats[0].partial is not True:
                out.append(
                    Divergence(
                        "partial_not_flagged",
                        run.index,
                        name,
                        f"SQLMesh committed {show(gained)} and the batch with the fault failed; "
                        f"Dagster: sqlmesh/partial = {mats[0].partial!r}",
                    )
                )
        if mats and mats[0].partial is True and name not in truth.failed:
            out.append(Divergence("partial_flag_without_failure", run.index, name, "sqlmesh/partial: true; no batch failed"))
    return out


def _compare_step(spec: ProjectSpec, run: RunObservation, truth: Truth) -> list[Divergence]:
    outcomes = run.dagster.step_outcomes
    succeeded = bool(outcomes) and all(o == "success" for o in outcomes)
    should_fail = bool(truth.failed) or run.terminated
    if succeeded and should_fail:
        what = "the run was terminated" if run.terminated else f"failed: {', '.join(sorted(truth.failed))}"
        return [Divergence("step_success_despite_failure", run.index, "step", f"{what}; Dagster step succeeded")]
    if not succeeded and not should_fail:
        text = (run.dagster.step_failure or "no step outcome").strip().splitlines()
        return [
            Divergence(
                "step_failure_without_failure",
                run.index,
                "step",
                f"nothing failed per SQLMesh's state; Dagster run {run.dagster.run_status}: {' | '.join(text[:3])[:300]}",
            )
        ]
    return []


def _compare_checks(spec: ProjectSpec, run: RunObservation, truth: Truth) -> list[Divergence]:
    out: list[Divergence] = []
    fault = spec.fault
    reported: dict[tuple[str, str], list[CheckResult]] = {}
    for check in run.dagster.checks:
        reported.setdefault((check.model, check.name), []).append(check)
    for key, results in reported.items():
        if len(results) > 1:
            out.append(Divergence("duplicate_check", run.index, f"{key[0]}:{key[1]}", f"{len(results)} results"))

    expected: dict[tuple[str, str], tuple[bool, str]] = {}
    for model in spec.models:
        if model.name not in run.selected or not model.audits:
            continue
        # Audits run in every batch SQLMesh evaluated: the committed ones, and a batch that
        # failed on a blocking audit (a batch failing on a SQL error runs no audit).
        blocked_here = truth.fired and fault.kind == "blocking_audit" and fault.target == model.name
        if not truth.new.get(model.name) and not blocked_here:
            continue
        for audit in model.audits:
            fault_here = truth.fired and fault.target == model.name and fault.audit == audit.name
            expected[(model.name, audit.name)] = (not fault_here, "ERROR" if audit.blocking else "WARN")

    standalone_names = {a.name for a in spec.standalone_audits}
    for key, (passed, severity) in expected.items():
        results = reported.get(key)
        subject = f"{key[0]}:{key[1]}"
        if not results:
            out.append(
                Divergence(
                    "audit_ran_without_check",
                    run.index,
                    subject,
                    f"SQLMesh evaluated the audit ({'failing' if not passed else 'passing'}, {severity}); Dagster: no check result",
                )
            )
            continue
        out += _check_outcome(run.index, subject, results[0], passed, severity)
    for key, results in reported.items():
        if key in expected or any(name in key[1] for name in standalone_names):
            continue
        out.append(
            Divergence(
                "check_without_audit_run",
                run.index,
                f"{key[0]}:{key[1]}",
                f"Dagster: check {'passed' if results[0].passed else 'failed'} ({results[0].severity}); "
                "SQLMesh evaluated no batch of the model in this run",
            )
        )

    for audit in spec.standalone_audits:
        blocked_here = truth.fired and fault.kind == "blocking_audit" and fault.target == audit.name
        if not truth.new.get(audit.name) and not blocked_here:
            continue
        passed = not (truth.fired and fault.target == audit.name)
        severity = "ERROR" if audit.blocking else "WARN"
        results = [c for c in run.dagster.checks if c.model in audit.models and audit.name in c.name]
        if not results:
            selected = [m for m in audit.models if m in run.selected]
            out.append(
                Divergence(
                    "standalone_audit_not_reported",
                    run.index,
                    audit.name,
                    f"SQLMesh ran it over {', '.join(audit.models)} ({'failed' if not passed else 'passed'}, {severity}"
                    f"{'' if selected else '; none of its models selected'}); Dagster: no check result",
                )
            )
            continue
        out += _check_outcome(run.index, audit.name, results[0], passed, severity)
    return out


def _check_outcome(index: int, subject: str, result: CheckResult, passed: bool, severity: str) -> list[Divergence]:
    out = []
    if result.passed and not passed:
        out.append(Divergence("check_passed_but_fault_fired", index, subject, "the audit's fault fired; Dagster: passed"))
    if not result.passed and passed:
        out.append(Divergence("check_failed_without_fault", index, subject, "no fault of this audit fired; Dagster: failed"))
    if result.severity != severity:
        out.append(Divergence("check_wrong_severity", index, subject, f"expected {severity}; Dagster: {result.severity}"))
    return out
