"""Fixtures for the Dagster end-to-end matrix: real Dagster, real SQLMesh, the real Node executor.

Each template project (test/fixtures/e2e-projects/<name>) is prepared ONCE per session in a tmp
dir: `sqlmesh plan --auto-apply --skip-backfill` (prod exists, nothing evaluated: the first
`sqlmesh run` evaluates every model) and `sqlmesh-pipes manifest`. Tests get a fresh copy
(copytree) of the prepared directory, DuckDB state and manifest included.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from dagster_e2e_helpers import GOOD_PG_ITEMS, PG_DATABASE_ENV, PG_PORT_ENV, pg_connect, write_pg_items

ROOT = Path(__file__).resolve().parents[3]
PYTHON = ROOT / ".venv" / "bin" / "python"
DBT_PYTHON = ROOT / ".venv-dbt" / "bin" / "python"
"""SQLMesh with its dbt loader, in its own env (`scripts/setup.mjs --with-dbt`)."""
CLI = ROOT / "dist" / "cli.js"
FIXTURE_PROJECTS = ROOT / "test" / "fixtures" / "e2e-projects"
MANIFEST = "sqlmesh-pipes-manifest.json"

SQLMESH_ENV = {
    **os.environ,
    "SQLMESH__DISABLE_ANONYMIZED_ANALYTICS": "1",
    "NO_COLOR": "1",
    "PYTHONIOENCODING": "utf-8",
}


def _run(argv: list[str], cwd: Path, what: str, env: dict[str, str] = SQLMESH_ENV) -> None:
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"{what} failed (exit {result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def prepare_template(
    name: str,
    dest: Path,
    python: Path = PYTHON,
    database: str = "db.duckdb",
    env: dict[str, str] = SQLMESH_ENV,
    gateway: str | None = None,
) -> Path:
    """Copy fixture project `name` to `dest`, apply prod without backfill and write the manifest,
    with SQLMesh from `python`'s env (on `gateway`, default the project's).

    A `setup.sql` in the project runs first in `database` (tables SQLMesh reads but does not own:
    external models).
    """
    shutil.copytree(FIXTURE_PROJECTS / name, dest)
    setup = dest / "setup.sql"
    if setup.is_file():
        with duckdb.connect(str(dest / database)) as con:
            con.execute(setup.read_text(encoding="utf-8"))
    sqlmesh = [str(python), "-c", "import sys; from sqlmesh.cli.main import cli; sys.exit(cli())"]
    if gateway:
        sqlmesh += ["--gateway", gateway]
    _run([*sqlmesh, "plan", "--auto-apply", "--no-prompts", "--skip-backfill"], dest, f"`sqlmesh plan` of {name}", env)
    manifest = ["node", str(CLI), "manifest", "--project", str(dest), "--out", str(dest / MANIFEST)]
    if gateway:
        manifest += ["--gateway", gateway]
    _run([*manifest, "--sqlmesh-python", str(python)], dest, f"manifest of {name}", env)
    shutil.rmtree(dest / "logs", ignore_errors=True)
    return dest


def _template(name: str, python: Path = PYTHON, database: str = "db.duckdb"):
    @pytest.fixture(scope="session")
    def template(tmp_path_factory: pytest.TempPathFactory, built_dist: Path) -> Path:
        return prepare_template(name, tmp_path_factory.mktemp("templates") / name, python, database)

    return template


def _copy(template_fixture: str, name: str):
    @pytest.fixture
    def project(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
        """A private copy of the prepared project (prod applied, nothing evaluated yet)."""
        return Path(shutil.copytree(request.getfixturevalue(template_fixture), tmp_path / name))

    return project


shop_template = _template("shop")
slow_template = _template("slow")
batches_template = _template("batches")
audits_template = _template("audits")
text_template = _template("text")
dbt_template = _template("dbt", DBT_PYTHON)
jaffle_template = _template("jaffle", database="jaffle_db.duckdb")
lineage_template = _template("lineage")
crons_template = _template("crons")
pool_template = _template("pool")
shop_project = _copy("shop_template", "shop")
slow_project = _copy("slow_template", "slow")
batches_project = _copy("batches_template", "batches")
audits_project = _copy("audits_template", "audits")
text_project = _copy("text_template", "text")
dbt_project = _copy("dbt_template", "dbt")
crons_project = _copy("crons_template", "crons")
pool_project = _copy("pool_template", "pool")


PG_DATABASE = "pg_shop"
PG_TEMPLATE_DATABASE = "pg_shop_template"


def _recreate(server: dict, database: str, template: str | None = None) -> None:
    with pg_connect(server, "postgres") as connection, connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{database}"' + (f' TEMPLATE "{template}"' if template else ""))


@pytest.fixture(scope="session")
def pg_template(postgres_server, tmp_path_factory: pytest.TempPathFactory, built_dist: Path) -> Path:
    """pg_shop prepared once, like the DuckDB templates: prod planned without backfill in database
    pg_shop (SQLMesh names the catalog after it), the manifest built, then the database kept as
    pg_shop_template for each test to start from."""
    _recreate(postgres_server, PG_DATABASE)
    write_pg_items(postgres_server, PG_DATABASE, GOOD_PG_ITEMS)
    env = {**SQLMESH_ENV, PG_PORT_ENV: str(postgres_server["port"]), PG_DATABASE_ENV: PG_DATABASE}
    project = prepare_template("pg_shop", tmp_path_factory.mktemp("templates") / "pg_shop", env=env)
    _recreate(postgres_server, PG_TEMPLATE_DATABASE, template=PG_DATABASE)
    return project


@pytest.fixture
def pg_project(postgres_server, pg_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the prepared pg_shop: database pg_shop recreated from the template (warehouse
    and SQLMesh state), the project folder copied; the environment names the server and database
    for SQLMesh's config and every process the run starts."""
    _recreate(postgres_server, PG_DATABASE, template=PG_TEMPLATE_DATABASE)
    monkeypatch.setenv(PG_PORT_ENV, str(postgres_server["port"]))
    monkeypatch.setenv(PG_DATABASE_ENV, PG_DATABASE)
    return Path(shutil.copytree(pg_template, tmp_path / "pg_shop"))


PG_SLOW_DATABASE = "db"
"""Named like the DuckDB projects' catalog, so that the termination tests' asset keys hold."""


@pytest.fixture(scope="session")
def pg_slow_template(postgres_server, tmp_path_factory: pytest.TempPathFactory, built_dist: Path) -> Path:
    """The slow project on its `pg` gateway (warehouse and state in database `db`), prepared once."""
    _recreate(postgres_server, PG_SLOW_DATABASE)
    env = {**SQLMESH_ENV, PG_PORT_ENV: str(postgres_server["port"]), PG_DATABASE_ENV: PG_SLOW_DATABASE}
    project = prepare_template("slow", tmp_path_factory.mktemp("templates") / "pg_slow", env=env, gateway="pg")
    _recreate(postgres_server, f"{PG_SLOW_DATABASE}_template", template=PG_SLOW_DATABASE)
    return project


@pytest.fixture
def pg_slow_project(postgres_server, pg_slow_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the prepared slow project on PostgreSQL (see pg_project)."""
    _recreate(postgres_server, PG_SLOW_DATABASE, template=f"{PG_SLOW_DATABASE}_template")
    monkeypatch.setenv(PG_PORT_ENV, str(postgres_server["port"]))
    monkeypatch.setenv(PG_DATABASE_ENV, PG_SLOW_DATABASE)
    return Path(shutil.copytree(pg_slow_template, tmp_path / "slow"))
