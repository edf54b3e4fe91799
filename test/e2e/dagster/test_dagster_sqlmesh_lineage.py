"""Column lineage: what SQLMesh's own `column_dependencies` says, on the asset as Dagster's
`dagster/column_lineage`, keyed by the translator's asset keys.

Project: test/fixtures/e2e-projects/lineage — raw.orders, raw.customers (external) →
lin.stg_orders, lin.stg_customers → lin.customer_totals (joins both, and the EMBEDDED
lin.big_orders; one literal column) → lin.customer_flags (a Python model).
"""

from __future__ import annotations

import json
import subprocess

from conftest import MANIFEST, PYTHON, SQLMESH_ENV
from dagster import AssetKey

from sqlmesh_pipes import sqlmesh_definitions_factory

# SQLMesh's own answer, in its env: every column of every SQL model.
SQLMESH_LINEAGE = """
import json, sys
from sqlmesh import Context
from sqlmesh.core.lineage import column_dependencies

context = Context(paths=sys.argv[1])
out = {}
for model in context.models.values():
    if model.kind.is_external or not model.is_sql:
        continue
    out[model.fqn] = {
        column: sorted([fqn, name] for fqn, names in column_dependencies(context, model.fqn, column).items() for name in names)
        for column in model.columns_to_types
    }
print(json.dumps(out))
"""


def sqlmesh_lineage(project) -> dict[str, dict[str, list[list[str]]]]:
    result = subprocess.run(
        [str(PYTHON), "-c", SQLMESH_LINEAGE, str(project)],
        cwd=project,
        env=SQLMESH_ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def fqn(name: str) -> str:
    schema, table = name.split(".")
    return f'"db"."{schema}"."{table}"'


def test_the_manifest_holds_sqlmeshs_own_column_lineage(lineage_template):
    expected = sqlmesh_lineage(lineage_template)
    models = {m["fqn"]: m for m in json.loads((lineage_template / MANIFEST).read_text())["models"]}
    assert set(expected) == {fqn(n) for n in ("lin.stg_orders", "lin.stg_customers", "lin.big_orders", "lin.customer_totals")}
    for model_fqn, columns in expected.items():
        recorded = {c: [[s["fqn"], s["column"]] for s in sources] for c, sources in models[model_fqn]["column_lineage"].items()}
        assert recorded == {c: sources for c, sources in columns.items() if sources}, model_fqn
    # Not guessed: the literal column reads no table; the Python model has no lineage at all.
    assert "version" not in models[fqn("lin.customer_totals")]["column_lineage"]
    assert models[fqn("lin.customer_flags")]["column_lineage"] is None


def test_assets_carry_it_as_dagster_column_lineage_through_embedded_models(lineage_template):
    defs = sqlmesh_definitions_factory(project_dir=str(lineage_template))
    graph = defs.resolve_asset_graph()

    def deps(name: str) -> dict[str, set[tuple[str, str]]]:
        lineage = graph.get(AssetKey(["db", *name.split(".")])).metadata["dagster/column_lineage"]
        return {
            column: {(dep.asset_key.to_user_string(), dep.column_name) for dep in column_deps}
            for column, column_deps in lineage.deps_by_column.items()
        }

    assert deps("lin.stg_orders") == {
        "order_id": {("db/raw/orders", "id")},
        "customer_id": {("db/raw/orders", "customer_id")},
        "amount_cents": {("db/raw/orders", "amount")},
        "ordered_at": {("db/raw/orders", "ordered_at")},
    }
    assert deps("lin.customer_totals") == {
        "customer_id": {("db/lin/stg_customers", "customer_id")},
        "name": {("db/lin/stg_customers", "name")},
        "total_cents": {("db/lin/stg_orders", "amount_cents")},
        # lin.big_orders is EMBEDDED (no asset): its order_id is lin.stg_orders.order_id.
        "big_orders": {("db/lin/stg_orders", "order_id")},
    }
    assert "dagster/column_lineage" not in graph.get(AssetKey(["db", "lin", "customer_flags"])).metadata
