from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from dagster import EnvVar
from pydantic import ValidationError
from shim_helpers import FAKE_CLI, example_manifest, manifest, model

from sqlmesh_pipes import (
    SQLMeshPipesDefinitionError,
    SQLMeshPipesExecutorError,
    SQLMeshPipesManifestError,
    SQLMeshResource,
    SQLMeshTranslator,
    manifest_prep,
)
from sqlmesh_pipes.executor import DEFAULT_EXECUTOR_PATH, PACKAGE_ROOT
from sqlmesh_pipes_console.project_files import project_fingerprint


def test_defaults(project_dir):
    r = SQLMeshResource(project_dir=str(project_dir))
    assert (r.environment, r.gateway, r.concurrency_limit, r.ignore_cron, r.node_executable) == (
        "prod",
        None,
        None,
        False,
        "node",
    )
    assert r.resolved_manifest_path == str(project_dir.resolve() / "sqlmesh-pipes-manifest.json")
    assert r.resolved_executor_path == str(DEFAULT_EXECUTOR_PATH)
    assert DEFAULT_EXECUTOR_PATH == PACKAGE_ROOT / "dist" / "cli.js"
    assert (PACKAGE_ROOT / "package.json").exists()
    assert isinstance(r.translator, SQLMeshTranslator)


def test_every_field_is_documented():
    for name, field in SQLMeshResource.model_fields.items():
        assert field.description, name


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"environment": "my env"}, "is not a SQLMesh environment name"),
        ({"concurrency_limit": 0}, "concurrency_limit must be a positive integer"),
        ({"project_dir": " "}, "project_dir must not be empty"),
        ({"node_executable": ""}, "node_executable must not be empty"),
        ({"termination_timeout_seconds": 0}, "termination_timeout_seconds must be > 0"),
    ],
)
def test_validation_messages(project_dir, config, message):
    config.setdefault("project_dir", str(project_dir))
    with pytest.raises(ValidationError, match=message):
        SQLMeshResource(**config)


def test_env_vars_are_accepted(monkeypatch):
    monkeypatch.setenv("SQLMESH_ENV", "prod")
    r = SQLMeshResource(
        project_dir=EnvVar("PROJECT"), environment=EnvVar("SQLMESH_ENV"), concurrency_limit=EnvVar.int("N")
    )
    assert isinstance(r, SQLMeshResource)


def test_translator_is_attached_but_not_config(project_dir):
    class Mine(SQLMeshTranslator):
        pass

    mine = Mine()
    r = SQLMeshResource(project_dir=str(project_dir), translator=mine)
    assert r.translator is mine
    assert "translator" not in SQLMeshResource.model_fields
    with pytest.raises(SQLMeshPipesDefinitionError, match="translator must be a SQLMeshTranslator instance"):
        SQLMeshResource(project_dir=str(project_dir), translator=object())  # type: ignore[arg-type]


def test_executor_resolution_order(project_dir, monkeypatch):
    monkeypatch.setenv("SQLMESH_PIPES_EXECUTOR", "/from/env/cli.js")
    assert SQLMeshResource(project_dir=str(project_dir)).resolved_executor_path == "/from/env/cli.js"
    explicit = SQLMeshResource(project_dir=str(project_dir), executor_path="/explicit/cli.js")
    assert explicit.resolved_executor_path == "/explicit/cli.js"


def test_executor_command(project_dir):
    r = SQLMeshResource(
        project_dir=str(project_dir),
        gateway="local",
        environment="dev",
        sqlmesh_python="/py",
        ignore_cron=True,
        executor_path="/x/cli.js",
    )
    assert r.executor_command() == [
        "node",
        "/x/cli.js",
        "run",
        "--project",
        str(project_dir),
        "--environment",
        "dev",
        "--gateway",
        "local",
        "--sqlmesh-python",
        "/py",
        "--ignore-cron",
    ]


def test_a_missing_manifest_is_built_with_the_sqlmesh_env(project_dir, tmp_path, scenario, caplog):
    source = tmp_path / "source.json"
    source.write_text(json.dumps(example_manifest()))
    record = scenario(manifest_source=str(source))
    python = tmp_path / "sqlmesh-env" / "bin" / "python"
    r = SQLMeshResource(
        project_dir=str(project_dir),
        node_executable=sys.executable,
        executor_path=str(FAKE_CLI),
        sqlmesh_python=str(python),
    )
    with caplog.at_level("INFO"):
        assert len(r.get_manifest().models) == 3
    argv = json.loads(record.read_text())["argv"]
    assert argv[:3] == ["manifest", "--project", str(project_dir)]
    assert argv[argv.index("--sqlmesh-python") + 1] == str(python)
    assert (
        f"building the SQLMesh manifest {r.resolved_manifest_path} (there is none yet) with {python}, from "
        "SQLMeshResource.sqlmesh_python." in caplog.text
    )


def test_regenerate_manifest_with_the_cli(project_dir, tmp_path, scenario):
    source = tmp_path / "source.json"
    source.write_text(json.dumps(example_manifest()))
    scenario(manifest_source=str(source))
    out = tmp_path / "out" / "manifest.json"
    r = SQLMeshResource(
        project_dir=str(project_dir),
        node_executable=sys.executable,
        executor_path=str(FAKE_CLI),
        manifest_path=str(out),
        regenerate_manifest=True,
    )
    assert len(r.get_manifest().models) == 3
    assert out.exists()
    # once per process: a second factory does not regenerate again
    source.write_text(json.dumps(manifest([model("s.only")])))
    assert len(r.get_manifest().models) == 3


def test_regenerate_from_env_var(project_dir, tmp_path, scenario, monkeypatch):
    source = tmp_path / "source.json"
    source.write_text(json.dumps(manifest([model("s.only")])))
    scenario(manifest_source=str(source))
    monkeypatch.setenv("SQLMESH_PIPES_REGENERATE_MANIFEST", "1")
    r = SQLMeshResource(
        project_dir=str(project_dir), node_executable=sys.executable, executor_path=str(FAKE_CLI)
    )
    assert r.should_regenerate_manifest
    assert [m.name for m in r.get_manifest().models] == ["s.only"]


def test_an_up_to_date_manifest_loads_without_the_executor(project_dir, manifest_file, caplog):
    manifest_file(example_manifest(project_fingerprint=project_fingerprint(project_dir)))
    r = SQLMeshResource(project_dir=str(project_dir), executor_path="/nowhere/cli.js")
    with caplog.at_level("INFO"):
        assert len(r.get_manifest().models) == 3
    assert "SQLMesh manifest" not in caplog.text


def test_a_stale_manifest_warns_in_production_and_is_rebuilt_under_dagster_dev(
    project_dir, manifest_file, tmp_path, scenario, monkeypatch, caplog
):
    path = manifest_file(example_manifest(project_fingerprint=project_fingerprint(project_dir)))
    (project_dir / "models").mkdir()
    (project_dir / "models" / "new.sql").write_text("MODEL (name s.new); SELECT 1 AS id")
    r = SQLMeshResource(
        project_dir=str(project_dir), node_executable=sys.executable, executor_path=str(FAKE_CLI)
    )
    with caplog.at_level("INFO"):
        assert len(r.get_manifest().models) == 3  # production: the deployed manifest, named as stale
    assert f"SQLMesh manifest {path} is stale: the project's files changed since it was built" in caplog.text
    assert f"generate it with `node {FAKE_CLI} manifest --project {project_dir}" in caplog.text

    source = tmp_path / "source.json"
    source.write_text(json.dumps(manifest([model("s.only"), model("s.new")])))
    scenario(manifest_source=str(source))
    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")
    monkeypatch.setattr(manifest_prep, "_PREPARED", set())
    with caplog.at_level("INFO"):
        assert [m.name for m in r.get_manifest().models] == ["s.only", "s.new"]
    assert "(the project changed since it was built (dagster dev))" in caplog.text


def test_an_unreadable_manifest_is_rebuilt_under_dagster_dev_only(
    project_dir, manifest_file, tmp_path, scenario, monkeypatch
):
    manifest_file({**example_manifest(), "manifest_version": 1})
    r = SQLMeshResource(
        project_dir=str(project_dir), node_executable=sys.executable, executor_path=str(FAKE_CLI)
    )
    with pytest.raises(SQLMeshPipesManifestError, match=r"manifest_version 1 but this sqlmesh_pipes reads"):
        r.get_manifest()
    source = tmp_path / "source.json"
    source.write_text(json.dumps(example_manifest()))
    scenario(manifest_source=str(source))
    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")
    monkeypatch.setattr(manifest_prep, "_PREPARED", set())
    assert len(r.get_manifest().models) == 3


def test_regenerate_errors_are_one_line(project_dir, tmp_path, monkeypatch):
    r = SQLMeshResource(
        project_dir=str(project_dir), executor_path=str(tmp_path / "missing.js"), regenerate_manifest=True
    )
    with pytest.raises(SQLMeshPipesExecutorError, match="npm run build"):
        r.get_manifest()
    r = SQLMeshResource(
        project_dir=str(Path(project_dir) / "nope"), executor_path=str(FAKE_CLI), regenerate_manifest=True
    )
    with pytest.raises(SQLMeshPipesDefinitionError, match="is not a directory"):
        r.get_manifest()
