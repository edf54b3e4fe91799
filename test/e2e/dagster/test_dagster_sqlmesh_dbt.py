"""A dbt project run by SQLMesh (test/fixtures/e2e-projects/dbt), with SQLMesh and dbt in an env of
their own (.venv-dbt) — the Dagster side never imports either. SQLMesh's dbt loader turns the
project's tests into audits: single-model tests (not_null, unique; accepted_values with severity
warn) into model audits, the relationships test and the singular test into standalone audits.
Each must be an asset check reporting exactly what SQLMesh evaluated; the failures are checked
against the data itself."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from dagster import AssetCheckKey, AssetCheckSeverity, materialize
from dagster_e2e_helpers import check_evaluations, key, materialized, user_messages

from sqlmesh_pipes import SQLMeshResource, sqlmesh_assets_factory

DBT_PYTHON = Path(__file__).resolve().parents[3] / ".venv-dbt" / "bin" / "python"
CUSTOMERS, ORDERS = key("main.customers"), key("main.orders")
RELATIONSHIPS = "relationships_orders_customer_id__id__ref_customers_"


def accepted_values_name(manifest: dict) -> str:
    (orders,) = [m for m in manifest["models"] if m["name"] == "main.orders"]
    (name,) = [a["name"] for a in orders["audits"] if a["name"].startswith("accepted_values_")]
    return name


def scalar(project: Path, sql: str) -> int:
    with duckdb.connect(str(project / "db.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_dbt_tests_are_in_the_manifest_and_become_checks(dbt_project):
    manifest = json.loads((dbt_project / "sqlmesh-pipes-manifest.json").read_text())
    audits = {m["name"]: {a["name"]: a["blocking"] for a in m["audits"]} for m in manifest["models"]}
    assert audits["main.customers"] == {"not_null_customers_id": True, "unique_customers_id": True}
    # severity: warn → a non-blocking audit
    assert audits["main.orders"] == {accepted_values_name(manifest): False}
    assert {a["name"]: a["depends_on"] for a in manifest["standalone_audits"]} == {
        "no_negative_orders": ['"db"."main"."orders"'],
        RELATIONSHIPS: ['"db"."main"."customers"', '"db"."main"."orders"'],
    }
    resource = SQLMeshResource(project_dir=str(dbt_project), sqlmesh_python=str(DBT_PYTHON))
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    assert set(assets.check_keys) == {
        AssetCheckKey(CUSTOMERS, "not_null_customers_id"),
        AssetCheckKey(CUSTOMERS, "unique_customers_id"),
        AssetCheckKey(ORDERS, accepted_values_name(manifest)),
        AssetCheckKey(ORDERS, "no_negative_orders"),
        # customers and orders are independent: the tie goes by name (README, "Standalone audits")
        AssetCheckKey(CUSTOMERS, RELATIONSHIPS),
    }
    relationships = assets.get_spec_for_check_key(AssetCheckKey(CUSTOMERS, RELATIONSHIPS))
    assert {dep.asset_key for dep in relationships.additional_deps} == {ORDERS}
    assert relationships.metadata["sqlmesh_pipes/standalone_audit"] is True


def test_a_dbt_project_materializes_and_reports_every_test_sqlmesh_ran(dbt_project, dagster_instance):
    manifest = json.loads((dbt_project / "sqlmesh-pipes-manifest.json").read_text())
    resource = SQLMeshResource(project_dir=str(dbt_project), sqlmesh_python=str(DBT_PYTHON))
    result = materialize(
        [sqlmesh_assets_factory(sqlmesh_resource=resource)],
        instance=dagster_instance,
        resources={"sqlmesh": resource},
        raise_on_error=False,
    )
    # No failure is blocking: standalone audits never are, and accepted_values is severity warn.
    assert result.success
    assert set(materialized(result)) == {CUSTOMERS, ORDERS}

    orphans = scalar(
        dbt_project, "SELECT COUNT(*) FROM main.orders o LEFT JOIN main.customers c ON o.customer_id = c.id WHERE c.id IS NULL"
    )
    unexpected = scalar(dbt_project, "SELECT COUNT(*) FROM main.orders WHERE customer_id NOT IN (1, 2)")
    assert (orphans, unexpected) == (1, 1)

    evaluations = check_evaluations(result)
    summary = {name: (e.passed, e.severity) for name, e in evaluations.items()}
    assert summary == {
        ("main.customers", "not_null_customers_id"): (True, AssetCheckSeverity.ERROR),
        ("main.customers", "unique_customers_id"): (True, AssetCheckSeverity.ERROR),
        ("main.orders", accepted_values_name(manifest)): (False, AssetCheckSeverity.WARN),
        ("main.orders", "no_negative_orders"): (True, AssetCheckSeverity.WARN),
        ("main.customers", RELATIONSHIPS): (False, AssetCheckSeverity.WARN),
    }
    failed = evaluations[("main.customers", RELATIONSHIPS)].metadata
    assert failed["sqlmesh/failing_rows"].value == orphans
    assert evaluations[("main.orders", accepted_values_name(manifest))].metadata["sqlmesh/failing_rows"].value == unexpected
    messages = user_messages(dagster_instance, result.run_id)
    assert any(m.startswith(f"{RELATIONSHIPS}: non-blocking audit {RELATIONSHIPS} failed") for m in messages), messages
