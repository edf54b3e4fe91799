"""`npm run demo` leaves a Dagster instance worth opening: its run, materializations and checks are
in the persistent home that `dagster dev` is pointed at, and its output carries no warnings of ours."""

from __future__ import annotations

import os
import subprocess

from conftest import ROOT
from dagster import DagsterInstance, DagsterRunStatus

DAGSTER_HOME = ROOT / "examples" / ".work" / "dagster_home"


def test_the_demo_run_is_in_the_persistent_instance_dagster_dev_opens():
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    demo = subprocess.run(
        ["node", str(ROOT / "scripts" / "demo.mjs")], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    output = demo.stdout + demo.stderr
    assert demo.returncode == 0, output[-3000:]
    assert "14/14 assets materialized, 23 checks evaluated" in output
    assert "DAGSTER_HOME=$PWD/examples/.work/dagster_home .venv/bin/dagster dev -f examples/dagster_demo/definitions.py" in output
    # Ours: warnings raised in our code or by the Dagster APIs it calls. SQLMesh's own (its pandas
    # seed loading) reach the run log as SQLMesh output, which is the truth and stays.
    ours = [
        line
        for line in output.splitlines()
        if "Welcome to Dagster" in line
        or ("Warning" in line and any(p in line for p in ("site-packages/dagster/", "sqlmesh_pipes", "dagster_demo")))
    ]
    assert not ours, "\n".join(ours)

    with DagsterInstance.from_config(str(DAGSTER_HOME)) as instance:
        (run,) = instance.get_runs(limit=1)
        assert run.status == DagsterRunStatus.SUCCESS
        materialized = instance.get_latest_materialization_events(instance.get_asset_keys())
        assert sum(1 for event in materialized.values() if event is not None) == 14
