from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from shim_helpers import FAKE_CLI, example_manifest, write_manifest

from sqlmesh_pipes import SQLMeshResource, manifest_prep


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "SQLMESH_PIPES_EXECUTOR",
        "SQLMESH_PIPES_REGENERATE_MANIFEST",
        "SQLMESH_PIPES_PYTHON",
        "DAGSTER_IS_DEV_CLI",
        "FAKE_CLI_SCENARIO",
    ):
        monkeypatch.delenv(var, raising=False)
    # No `sqlmesh` on PATH (a .venv/bin on the developer's PATH would pick its python).
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    # Each test prepares its manifests afresh (the set is per process otherwise).
    monkeypatch.setattr(manifest_prep, "_PREPARED", set())


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "config.yaml").write_text("model_defaults:\n  dialect: duckdb\n")
    return project


@pytest.fixture
def manifest_file(project_dir: Path) -> Callable[[dict[str, Any]], Path]:
    """Write a manifest dict to the project's default manifest path."""

    def write(data: dict[str, Any]) -> Path:
        return write_manifest(project_dir / "sqlmesh-pipes-manifest.json", data)

    return write


@pytest.fixture
def scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Configure the fake CLI; returns the path its `run` records argv + extras to."""
    record = tmp_path / "record.json"

    def configure(**settings: Any) -> Path:
        settings.setdefault("record", str(record))
        path = tmp_path / "scenario.json"
        path.write_text(json.dumps(settings))
        monkeypatch.setenv("FAKE_CLI_SCENARIO", str(path))
        return record

    return configure


@pytest.fixture
def make_resource(
    project_dir: Path, manifest_file: Callable[[dict[str, Any]], Path]
) -> Callable[..., SQLMeshResource]:
    """A SQLMeshResource on a temp project whose executor is the fake CLI (run by this python)."""

    def make(data: dict[str, Any] | None = None, **config: Any) -> SQLMeshResource:
        manifest_file(data if data is not None else example_manifest())
        config.setdefault("project_dir", str(project_dir))
        config.setdefault("node_executable", sys.executable)
        config.setdefault("executor_path", str(FAKE_CLI))
        return SQLMeshResource(**config)

    return make


@pytest.fixture
def factory_kwargs(project_dir: Path, manifest_file: Callable[[dict[str, Any]], Path]) -> dict[str, Any]:
    """``sqlmesh_definitions_factory`` arguments for a temp project on the fake CLI (example manifest)."""
    manifest_file(example_manifest())
    return {
        "project_dir": str(project_dir),
        "node_executable": sys.executable,
        "executor_path": str(FAKE_CLI),
    }
