"""No manual manifest step: definitions load on a project that has none (it is built with real
SQLMesh), a stale one is named in production and rebuilt under `dagster dev`."""

from __future__ import annotations

import json
import logging

import pytest
from conftest import MANIFEST
from dagster import AssetKey

from sqlmesh_pipes import manifest_prep, sqlmesh_definitions_factory
from sqlmesh_pipes_console.project_files import project_fingerprint


@pytest.fixture(autouse=True)
def _fresh_process_state(monkeypatch):
    # Each test loads its definitions as a new code-location process would.
    monkeypatch.setattr(manifest_prep, "_PREPARED", set())
    monkeypatch.delenv("DAGSTER_IS_DEV_CLI", raising=False)
    monkeypatch.delenv("SQLMESH_PIPES_REGENERATE_MANIFEST", raising=False)


def asset_keys(project) -> set[AssetKey]:
    defs = sqlmesh_definitions_factory(project_dir=str(project))
    return set(defs.resolve_asset_graph().get_all_asset_keys())


def test_definitions_load_on_a_project_without_a_manifest(shop_project, caplog):
    (shop_project / MANIFEST).unlink()
    with caplog.at_level(logging.INFO):
        keys = asset_keys(shop_project)
    assert AssetKey(["db", "shop", "items_summary"]) in keys
    built = json.loads((shop_project / MANIFEST).read_text())
    assert built["project_fingerprint"] == project_fingerprint(shop_project)
    assert f"building the SQLMesh manifest {shop_project / MANIFEST} (there is none yet) with" in caplog.text


def test_a_stale_manifest_is_named_in_production_and_rebuilt_under_dagster_dev(shop_project, monkeypatch, caplog):
    model = shop_project / "models" / "items_summary.sql"
    model.write_text(model.read_text() + "\n-- edited after the manifest was built\n")
    before = json.loads((shop_project / MANIFEST).read_text())["project_fingerprint"]
    with caplog.at_level(logging.INFO):
        asset_keys(shop_project)
    assert f"SQLMesh manifest {shop_project / MANIFEST} is stale: the project's files changed" in caplog.text
    assert json.loads((shop_project / MANIFEST).read_text())["project_fingerprint"] == before  # a deploy artifact

    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")
    monkeypatch.setattr(manifest_prep, "_PREPARED", set())
    caplog.clear()
    with caplog.at_level(logging.INFO):
        asset_keys(shop_project)
    assert "(the project changed since it was built (dagster dev))" in caplog.text
    assert json.loads((shop_project / MANIFEST).read_text())["project_fingerprint"] == project_fingerprint(shop_project)


def test_external_models_are_assets_with_their_columns(audits_project):
    # external_models.yaml declares landing.src with its columns: an asset, not an auto-created stub.
    defs = sqlmesh_definitions_factory(project_dir=str(audits_project))
    node = defs.resolve_asset_graph().get(AssetKey(["db", "landing", "src"]))
    assert not node.is_materializable
    schema = node.metadata["dagster/column_schema"]
    assert [(c.name, c.type) for c in schema.columns] == [("id", "INT"), ("v", "INT")]
    assert node.metadata["dagster/table_name"] == "db.landing.src"
