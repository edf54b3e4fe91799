"""A multi-repo SQLMesh project (``sqlmesh -p repo_1 -p repo_2``) on the Dagster side: the resource
takes one path or a list, Dagster config loads it, the manifest defaults to the repos' common parent
folder, and the fingerprint (staleness) covers every repo."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from dagster import EnvVar, asset, materialize
from pydantic import ValidationError
from shim_helpers import FAKE_CLI, example_manifest, write_manifest

from sqlmesh_pipes import SQLMeshResource, sqlmesh_definitions_factory
from sqlmesh_pipes.manifest_prep import sqlmesh_python_for
from sqlmesh_pipes_console.project_files import project_fingerprint, working_directory

MANIFEST = "sqlmesh-pipes-manifest.json"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """Two repos side by side, as SQLMesh's multi-repo example lays them out."""
    root = tmp_path / "workspace"
    for name in ("repo_1", "repo_2"):
        (root / name / "models").mkdir(parents=True)
        config = f"project: {name}\ngateways:\n  local:\n    connection:\n      type: duckdb\n"
        (root / name / "config.yaml").write_text(config + "      database: db.duckdb\n")
        (root / name / "models" / f"{name}.sql").write_text(f"MODEL (name {name}.a); SELECT 1 AS id")
    return root


def dirs(workspace: Path) -> list[str]:
    return [str(workspace / "repo_1"), str(workspace / "repo_2")]


def test_a_list_of_project_dirs(workspace):
    r = SQLMeshResource(project_dir=dirs(workspace), executor_path="/x/cli.js", sqlmesh_python="/py")
    assert r.project_dir == r.project_dirs == dirs(workspace)
    # SQLMesh runs in the repos' common parent: where `sqlmesh -p repo_1 -p repo_2` is run from.
    assert r.working_dir == str(workspace)
    assert r.resolved_manifest_path == str(workspace / MANIFEST)
    argv = r.executor_command()
    assert argv[2:7] == ["run", "--project", dirs(workspace)[0], "--project", dirs(workspace)[1]]


def test_one_path_keeps_working_as_before(workspace):
    one = str(workspace / "repo_1")
    for value in (one, Path(one), [one], (one,)):
        r = SQLMeshResource(project_dir=value)
        assert r.project_dir == [one]
        assert (r.working_dir, r.resolved_manifest_path) == (one, str(Path(one) / MANIFEST))
        assert r.executor_command()[2:5] == ["run", "--project", one]


def test_relative_paths_reach_the_executor_absolute(workspace, monkeypatch):
    """The executor runs in the common parent folder: a path relative to the code location's
    working directory would name another folder there."""
    monkeypatch.chdir(workspace.parent)
    r = SQLMeshResource(project_dir=["workspace/repo_1", "workspace/repo_2"])
    assert r.project_dir == ["workspace/repo_1", "workspace/repo_2"]  # as configured
    assert r.working_dir == str(workspace)
    assert r.executor_command()[2:7] == [
        "run",
        "--project",
        dirs(workspace)[0],
        "--project",
        dirs(workspace)[1],
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "project_dir must not be empty"),
        (["/a", " "], "project_dir must not be empty"),
        (["/a/repo", "/a/repo/"], "SQLMeshResource.project_dir lists /a/repo twice"),
    ],
)
def test_bad_lists_are_named(value, message):
    with pytest.raises(ValidationError, match=message):
        SQLMeshResource(project_dir=value)


def test_dagster_config_loads_one_path_a_list_and_env_vars(workspace, monkeypatch):
    """Dagster config has no "str or list" type: the field is a list; a single path or EnvVar is
    wrapped by the constructor, and run config takes the list (EnvVars inside it too)."""
    monkeypatch.setenv("REPO_1", dirs(workspace)[0])
    monkeypatch.setenv("REPO_2", dirs(workspace)[1])

    @asset
    def seen(sqlmesh: SQLMeshResource) -> list[str]:
        return [*sqlmesh.project_dirs, sqlmesh.working_dir]

    cases = {
        "one path": SQLMeshResource(project_dir=dirs(workspace)[0]),
        "one EnvVar": SQLMeshResource(project_dir=EnvVar("REPO_1")),
        "a list with EnvVars": SQLMeshResource(project_dir=[EnvVar("REPO_1"), EnvVar("REPO_2")]),
    }
    expected = {
        "one path": [dirs(workspace)[0], dirs(workspace)[0]],
        "one EnvVar": [dirs(workspace)[0], dirs(workspace)[0]],
        "a list with EnvVars": [*dirs(workspace), str(workspace)],
    }
    for name, resource in cases.items():
        result = materialize([seen], resources={"sqlmesh": resource})
        assert result.output_for_node("seen") == expected[name], name

    # The launchpad / run config: a list, EnvVars allowed inside it.
    run_config = {
        "resources": {"sqlmesh": {"config": {"project_dir": [dirs(workspace)[0], {"env": "REPO_2"}]}}}
    }
    result = materialize(
        [seen], resources={"sqlmesh": SQLMeshResource.configure_at_launch()}, run_config=run_config
    )
    assert result.output_for_node("seen") == [*dirs(workspace), str(workspace)]


def test_the_fingerprint_covers_every_repo_in_order(workspace):
    repo_1, repo_2 = (Path(d) for d in dirs(workspace))
    both = project_fingerprint([repo_1, repo_2])
    # One project: the same fingerprint as before, given as a path or a list of one.
    assert project_fingerprint([repo_1]) == project_fingerprint(repo_1) != both
    # SQLMesh's order matters (the first config gives the connection; a later model wins a clash).
    assert project_fingerprint([repo_2, repo_1]) != both
    # The manifest in the common parent folder is not a project file; a copy keeps the fingerprint.
    write_manifest(workspace / MANIFEST, example_manifest())
    (workspace / "db.duckdb").write_bytes(b"state")
    assert project_fingerprint([repo_1, repo_2]) == both
    copy = Path(shutil.copytree(workspace, workspace.parent / "elsewhere"))
    assert project_fingerprint([copy / "repo_1", copy / "repo_2"]) == both
    # A change in the second repo changes it.
    (repo_2 / "models" / "b.sql").write_text("MODEL (name repo_2.b); SELECT 2 AS id")
    assert project_fingerprint([repo_1, repo_2]) != both


def test_working_directory():
    assert working_directory("/w/repo_1") == Path("/w/repo_1")
    assert working_directory(["/w/repo_1", "/w/repo_2"]) == Path("/w")
    assert working_directory(["/w/a/repo_1", "/w/b/repo_2"]) == Path("/w")


def test_a_change_in_any_repo_makes_the_manifest_stale(workspace, caplog):
    write_manifest(
        workspace / MANIFEST,
        example_manifest(
            project_dirs=dirs(workspace), project_fingerprint=project_fingerprint(dirs(workspace))
        ),
    )
    r = SQLMeshResource(project_dir=dirs(workspace), executor_path="/nowhere/cli.js")
    with caplog.at_level("INFO"):
        assert len(r.get_manifest().models) == 3
    assert "stale" not in caplog.text  # up to date: loaded without the executor

    from sqlmesh_pipes import manifest_prep

    manifest_prep._PREPARED.clear()  # noqa: SLF001 - a new code location load
    (workspace / "repo_2" / "models" / "repo_2.sql").write_text("MODEL (name repo_2.a); SELECT 2 AS id")
    with caplog.at_level("INFO"):
        r.get_manifest()
    assert f"SQLMesh manifest {workspace / MANIFEST} is stale" in caplog.text
    # The fix it names passes every repo.
    assert f"manifest --project {dirs(workspace)[0]} --project {dirs(workspace)[1]} --out" in caplog.text


def test_a_missing_manifest_is_built_from_every_repo(workspace, tmp_path, scenario):
    source = tmp_path / "source.json"
    source.write_text(json.dumps(example_manifest()))
    record = scenario(manifest_source=str(source))
    r = SQLMeshResource(
        project_dir=dirs(workspace), node_executable=sys.executable, executor_path=str(FAKE_CLI)
    )
    assert len(r.get_manifest().models) == 3
    argv = json.loads(record.read_text())["argv"]
    assert argv[:5] == ["manifest", "--project", dirs(workspace)[0], "--project", dirs(workspace)[1]]
    assert argv[argv.index("--out") + 1] == str(workspace / MANIFEST)


def test_a_missing_repo_is_named(workspace):
    missing = str(workspace / "repo_3")
    r = SQLMeshResource(project_dir=[*dirs(workspace), missing], executor_path=str(FAKE_CLI))
    with pytest.raises(Exception, match=f"SQLMeshResource.project_dir {missing} is not a directory"):
        r.get_manifest()


def test_the_factory_passes_the_list_through_and_runs_in_the_common_parent(workspace, scenario):
    write_manifest(workspace / MANIFEST, example_manifest(project_dirs=dirs(workspace)))
    record = scenario()
    defs = sqlmesh_definitions_factory(
        project_dir=dirs(workspace), node_executable=sys.executable, executor_path=str(FAKE_CLI)
    )
    assert defs.resources["sqlmesh"].project_dir == dirs(workspace)
    result = defs.resolve_job_def("sqlmesh_job").execute_in_process()
    assert result.success
    recorded = json.loads(record.read_text())
    assert recorded["cwd"] == str(workspace)
    assert recorded["extras"]["project_dirs"] == dirs(workspace)
    assert "project_dir" not in recorded["extras"]
    assert recorded["argv"][:5] == ["run", "--project", dirs(workspace)[0], "--project", dirs(workspace)[1]]


def test_the_sqlmesh_python_of_a_multi_repo_project(workspace):
    assert sqlmesh_python_for(dirs(workspace), None).path is None
    shared = workspace / ".venv" / "bin" / "python"
    shared.parent.mkdir(parents=True)
    shared.write_text("")
    found = sqlmesh_python_for(dirs(workspace), None)
    assert (found.path, found.source) == (str(shared), f"the projects' parent folder's .venv ({workspace})")
    own = workspace / "repo_2" / "venv" / "bin" / "python"
    own.parent.mkdir(parents=True)
    own.write_text("")
    assert sqlmesh_python_for(dirs(workspace), None).path == str(own)  # a repo's own env first
