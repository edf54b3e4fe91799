"""Where the Dagster side finds the Node executor, installed in a checkout or from the npm package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sqlmesh_pipes import executor


@pytest.fixture
def no_checkout(monkeypatch, tmp_path):
    """As when python_shim is installed from a wheel: no checkout dist/cli.js next to it."""
    monkeypatch.setattr(executor, "DEFAULT_EXECUTOR_PATH", tmp_path / "checkout" / "dist" / "cli.js")
    monkeypatch.delenv(executor.EXECUTOR_ENV_VAR, raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")


def npm_install(root: Path) -> Path:
    """What `npm install sqlmesh-pipes-x.tgz` leaves: the package and a bin link to its cli.js."""
    cli = root / "node_modules" / "sqlmesh-pipes" / "dist" / "cli.js"
    cli.parent.mkdir(parents=True)
    cli.write_text("#!/usr/bin/env node\n")
    cli.chmod(0o755)  # npm makes bin targets executable
    link = root / "node_modules" / ".bin" / "sqlmesh-pipes"
    link.parent.mkdir(parents=True)
    link.symlink_to(os.path.relpath(cli, link.parent))
    return cli


def test_explicit_then_env_then_checkout(monkeypatch, tmp_path):
    monkeypatch.setenv(executor.EXECUTOR_ENV_VAR, "/from/env.js")
    assert executor.resolve_executor_path("/explicit.js") == "/explicit.js"
    assert executor.resolve_executor_path(None) == "/from/env.js"
    monkeypatch.delenv(executor.EXECUTOR_ENV_VAR)
    assert executor.resolve_executor_path(None) == str(executor.DEFAULT_EXECUTOR_PATH)  # this checkout's


def test_the_npm_package_in_the_project(no_checkout, tmp_path):
    cli = npm_install(tmp_path / "project")
    assert executor.resolve_executor_path(None, cwd=str(tmp_path / "project")) == str(cli.resolve())


def test_a_global_npm_install_on_path(no_checkout, monkeypatch, tmp_path):
    cli = npm_install(tmp_path / "global")
    monkeypatch.setenv("PATH", f"{tmp_path / 'global' / 'node_modules' / '.bin'}:/usr/bin:/bin")
    assert executor.resolve_executor_path(None, cwd=str(tmp_path)) == str(cli.resolve())


def test_nowhere_names_the_ways_to_provide_it(no_checkout, tmp_path):
    path = executor.resolve_executor_path(None, cwd=str(tmp_path))
    with pytest.raises(
        executor.errors.SQLMeshPipesExecutorError, match=r"npm install sqlmesh-pipes-<version>\.tgz"
    ):
        executor.check_executor(path)
