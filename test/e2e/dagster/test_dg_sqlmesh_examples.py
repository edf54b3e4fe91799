"""dg-sqlmesh's documented examples run as written (imports changed only, see
dg_sqlmesh_examples/README.md) on a fresh project with no manifest, through real SQLMesh and
the real executor."""

from __future__ import annotations

import logging
import runpy
import shutil
import sys
from pathlib import Path

import pytest
from conftest import MANIFEST
from dagster import AssetKey, DagsterInstance, Definitions

from sqlmesh_pipes import manifest_prep, sqlmesh_definitions_factory

EXAMPLES = Path(__file__).parent / "dg_sqlmesh_examples"
STG = AssetKey(["jaffle_db", "main", "stg_customers"])
MART = AssetKey(["jaffle_db", "main", "mart_customers"])
SLING = AssetKey(["target", "main", "raw_source_customers"])


@pytest.fixture
def workdir(jaffle_template: Path, tmp_path: Path, monkeypatch) -> Path:
    """A directory with `sqlmesh_project` (prod applied, NO manifest) as the examples expect."""
    shutil.copytree(jaffle_template, tmp_path / "sqlmesh_project")
    (tmp_path / "sqlmesh_project" / MANIFEST).unlink()
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.setattr(manifest_prep, "_PREPARED", set())
    for module in [m for m in sys.modules if m.startswith("custom_translator")]:
        monkeypatch.delitem(sys.modules, module)
    return tmp_path


def run_example(name: str) -> Definitions:
    return runpy.run_path(str(EXAMPLES / f"{name}.py"))["defs"]


def groups(defs: Definitions) -> dict[AssetKey, str]:
    graph = defs.resolve_asset_graph()
    return {key: graph.get(key).group_name for key in (STG, MART)}


def test_simple_factory(workdir: Path):
    defs = run_example("simple_factory")
    assert (workdir / "sqlmesh_project" / MANIFEST).is_file()  # built on first load, no manual step
    graph = defs.resolve_asset_graph()
    assert graph.get(STG).parent_keys == {SLING}  # external_asset_mapping="target/main/{node.name}"
    assert groups(defs) == {STG: "sqlmesh", MART: "sqlmesh_datamarts"}  # tag > group_name argument
    assert defs.resolve_schedule_def("sqlmesh_adaptive_schedule").cron_schedule == "0 * * * *"
    [assets] = [a for a in defs.assets if getattr(a, "op", None) is not None]
    assert assets.op.tags == {"team": "data", "env": "prod"}
    assert assets.op.retry_policy.max_retries == 1


def test_custom_translator_takes_priority_over_the_mapping(workdir: Path, caplog):
    with caplog.at_level(logging.WARNING):
        defs = run_example("custom_translator_factory")
    assert "external_asset_mapping 'target/main/{node.name}' is ignored because a translator was given" in caplog.text
    assert defs.resolve_asset_graph().get(STG).parent_keys == {SLING}


def test_advanced_configuration_materializes(workdir: Path):
    defs = run_example("advanced_configuration")
    job = defs.resolve_job_def("sqlmesh_job")
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance)
    assert result.success
    keys = {event.asset_key for event in result.get_asset_materialization_events()}
    assert keys == {STG, MART}
    checks = {(e.asset_key, e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {(STG, "not_null"): True, (STG, "unique_values"): True}


def test_custom_translator_groups_by_view_name(workdir: Path):
    translator = runpy.run_path(str(EXAMPLES / "custom_translator_groups.py"))["MyCustomTranslator"]()
    defs = sqlmesh_definitions_factory(project_dir="sqlmesh_project", translator=translator)
    assert groups(defs) == {STG: "staging", MART: "marts"}
    assert defs.resolve_asset_graph().get(STG).parent_keys == {SLING}


@pytest.mark.parametrize(
    ("template", "expected"),
    [  # dg-sqlmesh README, "External Asset Mapping" examples
        ("target/main/{node.name}", ["target", "main", "raw_source_customers"]),
        ("{node.database}/{node.schema}/{node.name}", ["jaffle_db", "main", "raw_source_customers"]),
        ("sling/{node.name}", ["sling", "raw_source_customers"]),
        ("{node.name}", ["raw_source_customers"]),
    ],
)
def test_external_asset_mapping_templates(workdir: Path, template: str, expected: list[str]):
    defs = sqlmesh_definitions_factory(project_dir="sqlmesh_project", external_asset_mapping=template)
    assert defs.resolve_asset_graph().get(STG).parent_keys == {AssetKey(expected)}
