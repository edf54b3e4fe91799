"""A multi-repo SQLMesh project through real Dagster + real SQLMesh + the real Node executor.

Project: test/fixtures/e2e-projects/multi — two repos side by side, `ingest` (raw.customers FULL,
raw.visits INCREMENTAL_BY_TIME_RANGE batch_size 1) and `marts` (marts.region_customers and
marts.daily_visits, reading ingest's models). Each has its own `project` key, its own `@origin()`
macro and the same relative DuckDB path. As in SQLMesh's multi-repo example, the plan is applied
with `sqlmesh -p ingest -p marts` from the repos' common parent, so the state lives there
(workspace/db.duckdb); each repo is its own git repository.

Before multi-repo support, SQLMesh ran inside the one repo given: the relative database path made
a fresh DuckDB file in that repo, whose empty state has no `prod` ("Environment 'prod' was not
found"). Here every model's materialization must match the intervals SQLMesh committed to the
plan's state, and `git status` of each repo must stay clean.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from conftest import FIXTURE_PROJECTS, MANIFEST, PYTHON, SQLMESH_ENV
from dagster import AssetKey, Definitions
from dagster_e2e_helpers import check_evaluations, iso, materialized, merged, step_failure_text

from sqlmesh_pipes import SQLMeshResource, sqlmesh_assets_factory, sqlmesh_definitions_factory

REPOS = ("ingest", "marts")
MODELS = {"raw.customers", "raw.visits", "marts.region_customers", "marts.daily_visits"}
CHECKS = {("raw.customers", "not_null"), ("marts.region_customers", "number_of_rows")}
SQLMESH = [str(PYTHON), "-c", "import sys; from sqlmesh.cli.main import cli; sys.exit(cli())"]


def key(model: str) -> AssetKey:
    return AssetKey(["db", *model.split(".")])


def _run(argv: list[str], cwd: Path) -> str:
    result = subprocess.run(argv, cwd=cwd, env=SQLMESH_ENV, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(argv)} failed (exit {result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def _git(repo: Path, *args: str) -> str:
    identity = ["-c", "user.name=e2e", "-c", "user.email=e2e@example.com", "-c", "commit.gpgsign=false"]
    return _run(["git", *identity, *args], repo)


@pytest.fixture(scope="module")
def multi_template(tmp_path_factory: pytest.TempPathFactory, built_dist: Path) -> Path:
    """The fixture's repos, each a committed git repository, with prod applied (no backfill) from
    their common parent by `sqlmesh -p ingest -p marts plan`."""
    if shutil.which("git") is None:
        pytest.skip("git is needed to check that the repos stay clean")
    workspace = tmp_path_factory.mktemp("templates") / "multi"
    shutil.copytree(FIXTURE_PROJECTS / "multi", workspace)
    for repo in REPOS:
        _git(workspace / repo, "init", "--quiet")
        _git(workspace / repo, "add", "--all")
        _git(workspace / repo, "commit", "--quiet", "--message", "fixture")
    plan = ["-p", "ingest", "-p", "marts", "plan", "--auto-apply", "--no-prompts", "--skip-backfill"]
    _run([*SQLMESH, *plan], workspace)
    return workspace


@pytest.fixture
def workspace(multi_template: Path, tmp_path: Path) -> Path:
    """A private copy of the prepared workspace (state, git repositories and all)."""
    return Path(shutil.copytree(multi_template, tmp_path / "workspace"))


def state_intervals(workspace: Path) -> dict[str, list[list[str]]]:
    """Prod intervals in SQLMesh's state (the plan's DuckDB file), by model, merged where contiguous."""
    with duckdb.connect(str(workspace / "db.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT name, start_ts, end_ts FROM sqlmesh._intervals WHERE NOT is_removed AND NOT is_dev").fetchall()
    out: dict[str, list[list[str]]] = {}
    for name, start, end in rows:
        out.setdefault(name.replace('"', "").removeprefix("db."), []).append([iso(start), iso(end)])
    return {model: merged(intervals) for model, intervals in out.items()}


def stray_files(workspace: Path) -> dict[str, list[str]]:
    """Per repo: what `git status` shows (untracked or changed), and engine files or logs anywhere
    inside it, ignored ones included (SQLMesh's own `.cache`, which the repos ignore, aside)."""
    found: dict[str, list[str]] = {}
    for repo in REPOS:
        root = workspace / repo
        status = _git(root, "status", "--porcelain", "--untracked-files=all").splitlines()
        engine = [
            str(path.relative_to(root))
            for path in root.rglob("*")
            if ".git" not in path.relative_to(root).parts and (".duckdb" in path.name or path.name in {"logs", MANIFEST})
        ]
        if status or engine:
            found[repo] = status + engine
    return found


@pytest.mark.parametrize("console", ["json", "text"])
def test_a_multi_repo_project_materializes_as_sqlmesh_committed(workspace, console, dagster_instance, assert_pipes_clean):
    repos = [str(workspace / repo) for repo in REPOS]
    resource = SQLMeshResource(project_dir=repos, console=console)
    defs = Definitions(assets=[sqlmesh_assets_factory(sqlmesh_resource=resource)], resources={"sqlmesh": resource})
    # The manifest is built from both repos, next to them (not inside one).
    manifest = workspace / MANIFEST
    assert resource.resolved_manifest_path == str(manifest) and manifest.is_file()
    assert json.loads(manifest.read_text())["project_dirs"] == repos
    assert resource.working_dir == str(workspace)

    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=dagster_instance, raise_on_error=False)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)

    # Every model of both repos is materialized, once, and recorded in the event log.
    mats = materialized(result)
    assert set(mats) == {key(m) for m in MODELS}
    recorded = dagster_instance.get_latest_materialization_events([key(m) for m in MODELS])
    assert all(recorded[key(m)] is not None for m in MODELS), recorded
    assert {name for name, e in check_evaluations(result).items() if e.passed} == CHECKS

    # What Dagster recorded is what SQLMesh committed to the plan's state, interval for interval.
    state = state_intervals(workspace)
    assert set(state) == MODELS
    # (SQLMesh's text output shows the intervals of incremental models only.)
    compared = MODELS if console == "json" else {"raw.visits", "marts.daily_visits"}
    for model in compared:
        assert merged(mats[key(model)]["sqlmesh/intervals"]) == state[model], model
    assert mats[key("raw.visits")]["sqlmesh/batches"] in (2, "2 committed")  # batch_size 1, two days

    # Each repo's models rendered with its own macros, into the one state/warehouse file.
    with duckdb.connect(str(workspace / "db.duckdb"), read_only=True) as con:
        origins = {
            table: con.execute(f"SELECT DISTINCT origin FROM {table}").fetchall() for table in ("raw.customers", "marts.region_customers")
        }
    assert origins == {"raw.customers": [("ingest",)], "marts.region_customers": [("marts",)]}

    # Nothing appeared inside a repo: no DuckDB file, no log, no manifest; git status is clean.
    assert stray_files(workspace) == {}


def test_the_definitions_factory_and_a_second_run_with_nothing_due(workspace, dagster_instance, assert_pipes_clean):
    repos = [str(workspace / repo) for repo in REPOS]
    defs = sqlmesh_definitions_factory(project_dir=repos)
    assert defs.resources["sqlmesh"].project_dir == repos
    job = defs.resolve_implicit_global_asset_job_def()
    first = job.execute_in_process(instance=dagster_instance, raise_on_error=False)
    assert first.success, step_failure_text(first)
    before = state_intervals(workspace)

    second = job.execute_in_process(instance=dagster_instance, raise_on_error=False)
    assert_pipes_clean(dagster_instance, second.run_id)
    assert second.success, step_failure_text(second)
    assert second.get_asset_materialization_events() == []
    assert state_intervals(workspace) == before
    assert stray_files(workspace) == {}
