"""Which python builds the manifest, and what a project's fingerprint covers."""

from __future__ import annotations

import os
import sys

from sqlmesh_pipes.manifest_prep import sqlmesh_python_for
from sqlmesh_pipes_console.project_files import CONTENT_LIMIT_BYTES, project_files, project_fingerprint


def _project(tmp_path):
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "config.yaml").write_text("gateways: {}\n")
    (project / "models" / "a.sql").write_text("MODEL (name s.a); SELECT 1 AS id")
    return project


def test_the_fingerprint_is_the_project_definition_not_its_output(tmp_path):
    project = _project(tmp_path)
    before = project_fingerprint(project)
    # SQLMesh's and Python's output, engine files, hidden entries and the manifest itself do not count.
    for noise in (
        ".cache/x",
        "logs/sqlmesh.log",
        "db.duckdb",
        "models/__pycache__/a.pyc",
        ".env",
        "sqlmesh-pipes-manifest.json",
    ):
        (project / noise).parent.mkdir(parents=True, exist_ok=True)
        (project / noise).write_text("changes every run")
    custom = project / "out" / "my-manifest.json"
    custom.parent.mkdir()
    custom.write_text("{}")
    assert project_fingerprint(project, exclude=[custom]) == before
    assert [p.relative_to(project).as_posix() for p in project_files(project, exclude=[custom])] == [
        "config.yaml",
        "models/a.sql",
    ]
    # Content, not times: touching a file keeps it; editing, adding or renaming changes it.
    os.utime(project / "models" / "a.sql", (0, 0))
    assert project_fingerprint(project, exclude=[custom]) == before
    (project / "models" / "a.sql").write_text("MODEL (name s.a); SELECT 2 AS id")
    edited = project_fingerprint(project, exclude=[custom])
    assert edited != before
    (project / "models" / "a.sql").rename(project / "models" / "b.sql")
    renamed = project_fingerprint(project, exclude=[custom])
    assert renamed not in (before, edited)
    # A big seed counts by its size: loading must not read gigabytes.
    (project / "seeds").mkdir()
    (project / "seeds" / "big.csv").write_bytes(b"x" * (CONTENT_LIMIT_BYTES + 1))
    big = project_fingerprint(project, exclude=[custom])
    (project / "seeds" / "big.csv").write_bytes(b"y" * (CONTENT_LIMIT_BYTES + 1))
    assert project_fingerprint(project, exclude=[custom]) == big != renamed


def test_the_sqlmesh_python_explicit_then_project_venv_then_path_then_default(tmp_path):
    project = _project(tmp_path)
    assert sqlmesh_python_for(str(project), "/opt/py").path == "/opt/py"
    empty_path = {"PATH": str(tmp_path / "empty")}
    assert sqlmesh_python_for(str(project), None, empty_path).path is None
    # `sqlmesh` on PATH: the python its #! line names.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "sqlmesh"
    script.write_text(f"#!{sys.executable}\nimport sys\n")
    script.chmod(0o755)
    found = sqlmesh_python_for(str(project), None, {"PATH": str(bin_dir)})
    assert (found.path, found.source) == (sys.executable, f"the sqlmesh on PATH ({script})")
    # The project's own virtualenv wins over PATH.
    venv_python = project / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("")
    found = sqlmesh_python_for(str(project), None, {"PATH": str(bin_dir)})
    assert (found.path, found.source) == (str(venv_python), "the project's .venv")
