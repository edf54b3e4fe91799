"""SQLMeshProjectComponent through the real `dg` CLI of the .venv: a dg project in tmp_path,
`dg list components`, `dg scaffold defs`, `dg list defs --json`, then `dg launch` materializes every
model of the prepared shop project (real SQLMesh, the real Node executor) into a DAGSTER_HOME whose
event log the test reads back."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

from conftest import ROOT
from dagster import DagsterInstance, DagsterRunStatus
from dagster_e2e_helpers import key

VENV_BIN = ROOT / ".venv" / "bin"
COMPONENT = "sqlmesh_pipes.SQLMeshProjectComponent"
MODELS = {"shop.items", "shop.items_summary", "shop.events", "shop.events_daily"}
DG_PROJECT = "sqlmesh_dg_e2e"


def make_dg_project(root: Path) -> Path:
    """The smallest project `dg` 1.13 accepts: pyproject with [tool.dg] (directory_type project,
    root_module), the root package with definitions.py loading the defs folder, and defs/."""
    package = root / DG_PROJECT
    (package / "defs").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
            [project]
            name = "{DG_PROJECT}"
            version = "0.1.0"

            [tool.dg]
            directory_type = "project"

            [tool.dg.project]
            root_module = "{DG_PROJECT}"
            """)
    )
    (package / "__init__.py").write_text("")
    (package / "defs" / "__init__.py").write_text("")
    (package / "definitions.py").write_text(
        textwrap.dedent("""\
            from pathlib import Path

            import dagster as dg


            @dg.definitions
            def defs():
                return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
            """)
    )
    return root


def dg(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run([str(VENV_BIN / "dg"), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=180)
    assert result.returncode == 0, f"dg {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def test_dg_scaffold_list_and_launch(shop_project: Path, tmp_path: Path, assert_pipes_clean):
    project = make_dg_project(tmp_path / "dg_shop")
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DAGSTER_IS_DEV_CLI", "SQLMESH_PIPES_REGENERATE_MANIFEST")},
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DAGSTER_HOME": str(dagster_home),
        "SQLMESH__DISABLE_ANONYMIZED_ANALYTICS": "1",
        "NO_COLOR": "1",
    }

    # The entry point registers the component library.
    components = json.loads(dg(["list", "components", "--json"], project, env))
    assert COMPONENT in {item["key"] for item in components["items"]}

    dg(["scaffold", "defs", COMPONENT, "sqlmesh", "--project-path", "../shop"], project, env)
    defs_yaml = project / DG_PROJECT / "defs" / "sqlmesh" / "defs.yaml"
    assert "project: ../../../../shop" in defs_yaml.read_text()  # relative to the defs.yaml folder

    listed = json.loads(dg(["list", "defs", "--json"], project, env))
    executable = {asset["asset_key"] for asset in listed["assets"] if asset.get("is_executable")}
    assert executable == {key(model).to_user_string() for model in MODELS}
    assert {job["name"] for job in listed["jobs"]} >= {"sqlmesh_job"}
    assert [schedule["name"] for schedule in listed["schedules"]] == ["sqlmesh_adaptive_schedule"]

    dg(["launch", "--assets", "*"], project, env)
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        (run,) = instance.get_runs()
        assert run.status == DagsterRunStatus.SUCCESS
        assert_pipes_clean(instance, run.run_id)
        latest = instance.get_latest_materialization_events(instance.get_asset_keys())
        materialized = {asset_key for asset_key, event in latest.items() if event is not None}
        assert materialized == {key(model) for model in MODELS}
        assert {event.run_id for event in latest.values() if event is not None} == {run.run_id}
