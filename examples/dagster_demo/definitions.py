"""Dagster definitions for the example SQLMesh project (coffee shop on DuckDB).

    npm run demo    # prepares examples/.work/demo and materializes it (run kept in examples/.work/dagster_home)
    DAGSTER_HOME=$PWD/examples/.work/dagster_home .venv/bin/dagster dev -f examples/dagster_demo/definitions.py

The project directory defaults to the demo's working copy; point SQLMESH_PIPES_DEMO_PROJECT at
another prepared copy (scripts/prepare-example.mjs) to use that one instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlmesh_pipes import sqlmesh_definitions_factory

DEMO_PROJECT = Path(__file__).resolve().parents[1] / ".work" / "demo"
PROJECT_DIR = os.environ.get("SQLMESH_PIPES_DEMO_PROJECT", str(DEMO_PROJECT))

defs = sqlmesh_definitions_factory(
    project_dir=PROJECT_DIR,
    gateway="local",
    # The manifest lives beside the project; regenerate it while developing with
    # SQLMESH_PIPES_REGENERATE_MANIFEST=1.
    concurrency_limit=2,
    enable_schedule=True,
)
