"""Run one seed of the truth property test end to end: generate, prepare, run through Dagster, compare.

Usable from pytest (`run_seed`) and as a program, one process per seed (what
scripts/truth-property.mjs does, so that a termination's SIGINT only hits its own seed):

    .venv/bin/python test/e2e/property/truth_harness.py --seed 7 --out result.json [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from dagster import AssetKey, DagsterInstance
from truth_compare import CheckResult, DagsterRecord, Divergence, Materialization, RunObservation, compare
from truth_intervals import read_state
from truth_projects import BLOCK_MARKER_SUFFIX, ProjectSpec, fault_rows, generate_project, write_faults

from sqlmesh_pipes import sqlmesh_definitions_factory
from sqlmesh_pipes.invocation import wait_for_stopping_runs

ROOT = Path(__file__).resolve().parents[3]
PYTHON = ROOT / ".venv" / "bin" / "python"
CLI = ROOT / "dist" / "cli.js"
MANIFEST = "sqlmesh-pipes-manifest.json"
JOB = "sqlmesh_job"
BLOCK_START_TIMEOUT_S = 90.0
STOPPING_TIMEOUT_S = 60.0
SEED_SPAN_S = 180.0
"""How long the harness waits for the blocking model to start (SQLMesh start-up and upstream models)."""

SQLMESH_ENV = {
    **os.environ,
    "SQLMESH__DISABLE_ANONYMIZED_ANALYTICS": "1",
    "NO_COLOR": "1",
    "PYTHONIOENCODING": "utf-8",
}


def _load_e2e_conftest():
    # test/e2e/conftest.py owns the Pipes-problem markers; loaded under its own name because
    # several conftest.py files exist and `import conftest` would pick whichever came first.
    spec = importlib.util.spec_from_file_location("truth_e2e_conftest", ROOT / "test" / "e2e" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pipes_problems = _load_e2e_conftest().pipes_problems


class HarnessError(RuntimeError):
    """The seed could not be set up (plan or manifest failed): a harness problem, not a divergence."""


@dataclass
class SeedReport:
    """Outcome of one seed."""

    seed: int
    fault_kind: str
    fault: str
    project: str
    divergences: list[Divergence]
    prepare_s: float
    run_s: float
    runs: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        """JSON-ready form."""
        data = asdict(self)
        data["divergences"] = [asdict(d) for d in self.divergences]
        return data

    def message(self) -> str:
        """A readable account of the divergences, with the project it happened on."""
        lines = [f"seed {self.seed} ({self.fault}): {len(self.divergences)} divergence(s)"]
        lines += [f"  {d.line()}" for d in self.divergences]
        lines.append(self.project)
        return "\n".join(lines)


def _run(argv: list[str], cwd: Path, what: str) -> None:
    result = subprocess.run(argv, cwd=cwd, env=SQLMESH_ENV, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise HarnessError(f"{what} failed (exit {result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def prepare_project(project: Path) -> None:
    """`sqlmesh plan --auto-apply --skip-backfill` (prod exists, nothing evaluated) and the manifest."""
    sqlmesh = [str(PYTHON), "-c", "import sys; from sqlmesh.cli.main import cli; sys.exit(cli())"]
    _run([*sqlmesh, "plan", "--auto-apply", "--no-prompts", "--skip-backfill"], project, "`sqlmesh plan`")
    _run(["node", str(CLI), "manifest", "--project", str(project), "--out", str(project / MANIFEST)], project, "manifest")
    shutil.rmtree(project / "logs", ignore_errors=True)


def _model_of(key: AssetKey) -> str:
    # Default asset keys of the generated projects: ["db", schema, table].
    return ".".join(key.path[1:])


def dagster_record(instance: DagsterInstance, run_id: str) -> DagsterRecord:
    """Materializations, check results, step outcomes and Pipes problems of a run, from the event log."""
    run = instance.get_run_by_id(run_id)
    record = DagsterRecord(
        run_id=run_id,
        run_status=run.status.value if run else "?",
        step_outcomes=[],
        step_failure=None,
        pipes_problems=pipes_problems(instance, run_id),
    )
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        kind = event.event_type_value
        if kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            metadata = {k: v.value for k, v in materialization.metadata.items()}
            record.materializations.append(
                Materialization(
                    model=_model_of(materialization.asset_key),
                    intervals=metadata.get("sqlmesh/intervals"),
                    partial=metadata.get("sqlmesh/partial"),
                )
            )
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            record.checks.append(
                CheckResult(
                    model=_model_of(evaluation.asset_key),
                    name=evaluation.check_name,
                    passed=bool(evaluation.passed),
                    severity=evaluation.severity.value,
                )
            )
        elif kind == "STEP_SUCCESS":
            record.step_outcomes.append("success")
        elif kind == "STEP_FAILURE":
            record.step_outcomes.append("failure")
            error = getattr(event.event_specific_data, "error", None)
            if error is not None and record.step_failure is None:
                record.step_failure = error.to_string()
    return record


class _Terminator:
    """Terminates the run as Dagster does for an in-process run once the blocking model has started."""

    def __init__(self, instance: DagsterInstance, marker: Path) -> None:
        self.instance = instance
        self.marker = marker
        self.finished = threading.Event()  # the run ended on its own: never signal the process then
        self.block_started = False
        self.terminated = False
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        deadline = time.monotonic() + BLOCK_START_TIMEOUT_S
        while not self.marker.exists():
            if self.finished.wait(0.05) or time.monotonic() > deadline:
                return
        self.block_started = True
        runs = self.instance.get_runs(limit=1)
        if not runs or self.finished.is_set():
            return
        self.instance.report_run_canceling(runs[0])
        self.terminated = True
        os.kill(os.getpid(), signal.SIGINT)

    def __enter__(self) -> _Terminator:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.finished.set()
        self.thread.join(timeout=5)


def _observe_run(spec: ProjectSpec, project: Path, instance: DagsterInstance, job, index: int, faults_active: bool) -> RunObservation:
    run_date = datetime.now(timezone.utc).date()
    write_faults(project, fault_rows(spec, run_date) if faults_active else [])
    models = [m.name for m in spec.models]
    selected = list(spec.fault.subset) or models
    selection = [AssetKey(["db", *name.split(".")]) for name in spec.fault.subset] or None
    before = read_state(project)
    terminate = spec.fault.kind == "termination" and faults_active
    marker = project / f"{spec.fault.target}{BLOCK_MARKER_SUFFIX}"
    terminator = _Terminator(instance, marker) if terminate else None
    if terminator is not None:
        with terminator:
            result = job.execute_in_process(instance=instance, asset_selection=selection, raise_on_error=False)
    else:
        result = job.execute_in_process(instance=instance, asset_selection=selection, raise_on_error=False)
    # A run terminated while Dagster recorded a result ends before the executor has stopped; what
    # SQLMesh finished is recorded just after (sqlmesh_pipes.invocation): wait for that.
    if not wait_for_stopping_runs(timeout=STOPPING_TIMEOUT_S):
        raise RuntimeError(f"the executor of run {result.run_id} was still stopping after {STOPPING_TIMEOUT_S}s")
    after = read_state(project)
    return RunObservation(
        index=index,
        run_date=run_date,
        selected=selected,
        before=before,
        after=after,
        dagster=dagster_record(instance, result.run_id),
        faults_active=faults_active,
        block_started=terminator.block_started if terminator else False,
        terminated=terminator.terminated if terminator else False,
    )


def _not_across_midnight() -> None:
    """Start a seed only when it cannot cross midnight UTC: its intervals, and the day its faults
    target, are relative to today (a seed takes well under SEED_SPAN_S)."""
    now = datetime.now(timezone.utc)
    to_midnight = 86_400 - (now.hour * 3600 + now.minute * 60 + now.second + now.microsecond / 1e6)
    if to_midnight < SEED_SPAN_S:
        time.sleep(to_midnight + 1)


def run_seed(seed: int, workdir: Path) -> SeedReport:
    """Generate, prepare and run the project of `seed` in `workdir`; return its divergences."""
    project = workdir / f"seed-{seed}"
    if project.exists():
        shutil.rmtree(project)
    _not_across_midnight()
    started = time.monotonic()
    spec = generate_project(seed, project)
    prepare_project(project)
    prepared = time.monotonic()
    divergences: list[Divergence] = []
    runs: list[dict] = []
    with DagsterInstance.ephemeral() as instance:
        job = sqlmesh_definitions_factory(project_dir=str(project)).get_job_def(JOB)
        for index in range(spec.fault.runs):
            observation = _observe_run(spec, project, instance, job, index, faults_active=index == 0)
            divergences += compare(spec, observation)
            runs.append(observation.to_json())
    return SeedReport(
        seed=seed,
        fault_kind=spec.fault.kind,
        fault=spec.fault.describe(),
        project=spec.describe(),
        divergences=divergences,
        prepare_s=round(prepared - started, 2),
        run_s=round(time.monotonic() - prepared, 2),
        runs=runs,
    )


def main(argv: list[str]) -> int:
    """Run one seed and write its report as JSON (exit 0 whatever the divergences; 3 on a harness error)."""
    parser = argparse.ArgumentParser(prog="truth_harness.py")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--keep", type=Path, default=None, help="work in this directory and keep it")
    args = parser.parse_args(argv)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix=f"truth-{args.seed}-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        report = run_seed(args.seed, workdir).to_json()
        code = 0
    except HarnessError as error:
        report = {"seed": args.seed, "harness_error": str(error)}
        code = 3
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    args.out.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
