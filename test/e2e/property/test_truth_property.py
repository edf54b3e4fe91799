"""Truth property test: Dagster's event log agrees with SQLMesh's own interval state.

A handful of fixed seeds (scripts/truth-property.mjs runs hundreds): each generates a small
SQLMesh project with one injected fault (test/e2e/property/truth_projects.py), runs it through
real Dagster, the Node executor and SQLMesh, and compares (truth_compare.py). Every seed runs in
its own process (truth_harness.py, as the script does), two at a time, so a termination's SIGINT
reaches only its own run and the seeds share the two cores.

The seeds cover every fault kind of truth_projects.FAULT_KINDS:
  284 not_due: one clean run (the `none` case), then a second with nothing due (but an hourly
      model may be); standalone audits
  206 upstream_failure: a SQL error (the `sql_error` case) in the later batch of a batch_size-1
      model with children, so its first batch commits (partial); standalone audit
  42  blocking audit failing in the later batch of a batch_size-1 model with children
  3   non-blocking standalone audit failing; Python model, hourly model
  69  subset of the assets; standalone audits, Python model
  31  termination while a Python model blocks, after its upstream committed; hourly models
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb
import pytest
from truth_intervals import covers, merge, subtract
from truth_projects import FAULT_KINDS, FAULTS_FILE, fault_kind_of, fault_rows, generate_project, write_faults

SEEDS = (284, 206, 42, 3, 69, 31)
JOBS = 2
SEED_TIMEOUT_S = 300
HARNESS = Path(__file__).with_name("truth_harness.py")
ROOT = Path(__file__).resolve().parents[3]
PYTHON = ROOT / ".venv" / "bin" / "python"


@pytest.fixture(scope="session")
def truth_reports(built_dist: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
    """Seed -> future of its report: every collected seed starts at once, `JOBS` processes at a time."""
    work = tmp_path_factory.mktemp("truth")
    collected = [
        item.callspec.params["seed"]
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_dagster_event_log_matches_sqlmesh_state" and hasattr(item, "callspec")
    ]

    def run(seed: int) -> dict:
        out = work / f"seed-{seed}.json"
        argv = [str(PYTHON), str(HARNESS), "--seed", str(seed), "--out", str(out), "--keep", str(work / f"seed-{seed}")]
        # Own process group: on a timeout, SQLMesh and the Node executor under it go too.
        with subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True) as proc:
            try:
                log, _ = proc.communicate(timeout=SEED_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                log, _ = proc.communicate()
                return {"seed": seed, "harness_error": f"no result within {SEED_TIMEOUT_S}s:\n{log[-3000:]}"}
        if not out.is_file():
            return {"seed": seed, "harness_error": f"exit {proc.returncode}:\n{log[-5000:]}"}
        return json.loads(out.read_text(encoding="utf-8"))

    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        yield {seed: pool.submit(run, seed) for seed in collected}


@pytest.mark.parametrize("seed", SEEDS)
def test_dagster_event_log_matches_sqlmesh_state(seed: int, truth_reports: dict[int, Future]):
    report = truth_reports[seed].result(timeout=SEED_TIMEOUT_S * len(SEEDS))
    assert "harness_error" not in report, f"seed {seed} could not be set up:\n{report['harness_error']}"
    divergences = report["divergences"]
    lines = [f"[{d['category']}] run {d['run'] + 1}, {d['subject']}: {d['detail']}" for d in divergences]
    assert not divergences, (
        f"seed {seed} ({report['fault']}): {len(divergences)} divergence(s) between Dagster and SQLMesh's state\n"
        + "\n".join(f"  {line}" for line in lines)
        + f"\nproject:\n{report['project']}"
    )


def test_seeds_cover_every_fault_kind():
    """`none` and `sql_error` are covered inside the not_due and upstream_failure seeds (see the docstring)."""
    kinds = {fault_kind_of(seed) for seed in SEEDS}
    assert kinds | {"none", "sql_error"} == set(FAULT_KINDS)


def test_generator_is_deterministic(tmp_path: Path):
    first = generate_project(33, tmp_path / "a")
    second = generate_project(33, tmp_path / "b")
    assert first == second and first.files == second.files
    assert generate_project(34, tmp_path / "c").files != first.files
    written = {str(p.relative_to(tmp_path / "a")) for p in (tmp_path / "a").rglob("*") if p.is_file()}
    assert written == {*first.files, FAULTS_FILE}


def test_empty_faults_file_parses_with_explicit_columns(tmp_path: Path):
    write_faults(tmp_path, [])
    with duckdb.connect() as con:
        query = (
            f"SELECT * FROM read_csv('{tmp_path / FAULTS_FILE}', header = true, "
            "columns = {'model': 'VARCHAR', 'day': 'DATE', 'kind': 'VARCHAR'})"
        )
        relation = con.sql(query)
        assert relation.columns == ["model", "day", "kind"]
        assert [str(t) for t in relation.types] == ["VARCHAR", "DATE", "VARCHAR"]
        assert relation.fetchall() == []


FINGERPRINTS = """
import json, sys
from pathlib import Path
from sqlmesh import Context

def fingerprints():
    context = Context(paths=[sys.argv[1]])
    return {s.name: s.fingerprint.to_identifier() for s in context.snapshots.values()}

clean = fingerprints()
Path(sys.argv[1], "faults.csv").write_text(sys.argv[2], encoding="utf-8")
print(json.dumps({"clean": clean, "faulty": fingerprints()}))
"""


def test_faults_file_does_not_change_fingerprints(tmp_path: Path):
    """Faults are injected without re-planning: faults.csv is data read at run time, not model text."""
    project = tmp_path / "p"
    spec = generate_project(42, project)
    rows = fault_rows(spec, date(2024, 1, 3))
    assert rows
    write_faults(tmp_path, rows)
    faults = (tmp_path / FAULTS_FILE).read_text(encoding="utf-8")
    result = subprocess.run(
        [str(PYTHON), "-c", FINGERPRINTS, str(project), faults], cwd=project, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert (project / FAULTS_FILE).read_text(encoding="utf-8") == faults
    assert seen["clean"] and seen["faulty"] == seen["clean"]


def test_interval_sets():
    day = 86_400_000
    assert merge([(day, 2 * day), (0, day), (3 * day, 4 * day)]) == ((0, 2 * day), (3 * day, 4 * day))
    assert subtract(((0, 4 * day),), ((day, 2 * day),)) == ((0, day), (2 * day, 4 * day))
    assert covers(((0, 2 * day),), (day, 2 * day)) and not covers(((0, day),), (day, 2 * day))
