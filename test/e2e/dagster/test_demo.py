"""`npm run demo` leaves a Dagster instance worth opening: its run, materializations and checks are
in the persistent home that `dagster dev` is pointed at, and its output carries no warnings of ours.
The asset page is checked as the UI reads it: through Dagster's GraphQL API over the demo's own
definitions file and instance."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT
from dagster import DagsterInstance, DagsterRunStatus
from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

DAGSTER_HOME = ROOT / "examples" / ".work" / "dagster_home"
DEFINITIONS = ROOT / "examples" / "dagster_demo" / "definitions.py"
DEMO_PROJECT = ROOT / "examples" / ".work" / "demo"

ASSET_PAGE = """
query AssetPage($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) {
    ... on AssetNode {
      description
      opVersion
      kinds
      metadataEntries {
        label
        __typename
        ... on MarkdownMetadataEntry { mdStr }
        ... on TextMetadataEntry { text }
        ... on CodeReferencesMetadataEntry { codeReferences { ... on LocalFileCodeReference { filePath } } }
      }
      assetMaterializations(limit: 1) { metadataEntries { label __typename } }
    }
  }
}
"""
MEASUREMENTS = {"sqlmesh/duration_s", "dagster/row_count", "sqlmesh/rows_processed", "sqlmesh/bytes_processed"}
"""The only numeric materialization metadata: what Dagster plots as a time series."""


def test_the_demo_run_is_in_the_persistent_instance_dagster_dev_opens():
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    demo = subprocess.run(["node", str(ROOT / "scripts" / "demo.mjs")], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    output = demo.stdout + demo.stderr
    assert demo.returncode == 0, output[-3000:]
    assert "15/15 assets materialized, 23 checks evaluated" in output
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
        assert sum(1 for event in materialized.values() if event is not None) == 15


@pytest.fixture(scope="module")
def asset_page():
    """The demo's asset pages as the UI gets them (runs after the demo test in this module)."""
    with DagsterInstance.from_config(str(DAGSTER_HOME)) as instance:
        with define_out_of_process_context(str(DEFINITIONS), None, instance) as context:

            def page(*key: str) -> dict:
                result = execute_dagster_graphql(context, ASSET_PAGE, {"key": {"path": list(key)}})
                assert not result.errors, result.errors
                return result.data["assetNodeOrError"]

            yield page


def entries(node: dict) -> dict[str, dict]:
    return {entry["label"]: entry for entry in node["metadataEntries"]}


def test_a_sql_model_page_shows_its_sql_code_version_and_file(asset_page):
    node = asset_page("shop", "analytics", "daily_revenue")
    manifest = json.loads((DEMO_PROJECT / "sqlmesh-pipes-manifest.json").read_text())
    model = next(m for m in manifest["models"] if m["name"] == "analytics.daily_revenue")
    assert node["opVersion"] == model["data_hash"]  # the asset's code version
    meta = entries(node)
    query = meta["sqlmesh_pipes/query"]
    assert query["__typename"] == "MarkdownMetadataEntry" and query["mdStr"].startswith("```sql\n")
    assert "1970" not in query["mdStr"] and "@start_ds" in query["mdStr"]  # as written, macros kept
    (reference,) = meta["dagster/code_references"]["codeReferences"]
    assert reference["filePath"] == str(DEMO_PROJECT / "models" / "analytics" / "daily_revenue.sql")
    assert meta["sqlmesh_pipes/kind"]["text"] == "INCREMENTAL_BY_TIME_RANGE"
    assert not any(label.startswith("sqlmesh/kind") for label in meta)  # not said twice


def test_a_python_model_page_has_its_docstring_and_source_file(asset_page):
    node = asset_page("shop", "analytics", "customer_segments")
    assert node["description"].startswith("Each customer's segment from their lifetime revenue: vip, active or new.")
    meta = entries(node)
    (reference,) = meta["dagster/code_references"]["codeReferences"]
    assert Path(reference["filePath"]).read_text().count("def customer_segments(") == 1
    assert meta["sqlmesh_pipes/source_path"]["text"] == "models/analytics/customer_segments.py"
    assert "sqlmesh_pipes/query" not in meta


@pytest.mark.parametrize("key", [("shop", "analytics", "daily_revenue"), ("shop", "staging", "web_events")])
def test_only_measurements_are_plotted(asset_page, key):
    (materialization,) = asset_page(*key)["assetMaterializations"]
    numeric = {e["label"] for e in materialization["metadataEntries"] if e["__typename"] in ("IntMetadataEntry", "FloatMetadataEntry")}
    assert numeric and numeric <= MEASUREMENTS, numeric
