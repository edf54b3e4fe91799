"""Builders for manifests shaped exactly like src/contracts/manifest.ts: ``manifest()`` checks its
result with the reader generated from that schema, so a builder cannot drift from the contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmesh_pipes_contracts import MANIFEST_VERSION, read_manifest

FIXTURES = Path(__file__).parent / "fixtures"
FAKE_CLI = FIXTURES / "fake_cli.py"
EXAMPLE_MANIFEST = FIXTURES / "example_manifest.json"


def column(name: str, type: str | None = "INT", description: str | None = None) -> dict[str, Any]:
    return {"name": name, "type": type, "description": description}


def audit(name: str, args: dict[str, str] | None = None, blocking: bool = True) -> dict[str, Any]:
    return {"name": name, "args": args or {}, "blocking": blocking}


CRON_PERIODS = {"@hourly": 3600, "@daily": 86400, "@weekly": 7 * 86400}
"""What the manifest builder computes for these crons (``cron_period_seconds``)."""


def model(
    name: str,
    *,
    catalog: str | None = "db",
    depends_on: list[str] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A manifest model named ``schema.table``; every key of ManifestModel present."""
    schema, table = name.split(".")
    fqn = ".".join(f'"{p}"' for p in ([catalog] if catalog else []) + [schema, table])
    entry: dict[str, Any] = {
        "name": name,
        "fqn": fqn,
        "catalog": catalog,
        "schema": schema,
        "table": table,
        "kind": "FULL",
        "kind_details": {},
        "start": None,
        "end": None,
        "cron": "@daily",
        "cron_period_seconds": 86400,
        "cron_tz": None,
        "interval_unit": "day",
        "allow_partials": False,
        "tags": [],
        "owner": None,
        "description": None,
        "columns": [column("id")],
        "depends_on": depends_on or [],
        "audits": [],
        "data_hash": f"hash-{name}",
        "fingerprint": f"fp-{name}",
        "partitioned_by": [],
        "clustered_by": [],
        "grains": [],
        "dialect": "duckdb",
        "query": f"SELECT 1 AS id /* {name} */",
        "source_path": None,
        "column_lineage": None,
    }
    unknown = set(overrides) - set(entry)
    assert not unknown, f"not ManifestModel keys: {unknown}"
    entry.update(overrides)
    if "cron" in overrides and "cron_period_seconds" not in overrides:
        entry["cron_period_seconds"] = CRON_PERIODS.get(entry["cron"])
    return entry


def external(name: str, *, catalog: str | None = "db", **overrides: Any) -> dict[str, Any]:
    schema, table = name.split(".")
    fqn = ".".join(f'"{p}"' for p in ([catalog] if catalog else []) + [schema, table])
    entry: dict[str, Any] = {
        "name": name,
        "fqn": fqn,
        "catalog": catalog,
        "schema": schema,
        "table": table,
        "description": None,
        "cron": "@daily",
        "cron_tz": None,
        "columns": [column("id")],
        "audits": [],
    }
    unknown = set(overrides) - set(entry)
    assert not unknown, f"not ManifestExternalModel keys: {unknown}"
    entry.update(overrides)
    return entry


def standalone_audit(name: str, depends_on: list[str], **overrides: Any) -> dict[str, Any]:
    """A manifest standalone audit; every key of ManifestStandaloneAudit present."""
    entry: dict[str, Any] = {
        "name": name,
        "depends_on": depends_on,
        "cron": "@daily",
        "cron_tz": None,
        "description": None,
        "fingerprint": f"fp-{name}",
    }
    entry.update(overrides)
    return entry


def manifest(
    models: list[dict[str, Any]], externals: list[dict[str, Any]] | None = None, **overrides: Any
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "sqlmesh_version": "0.236.4",
        "generated_at": "2026-01-01T00:00:00Z",
        "project_dirs": ["/project"],
        "project_fingerprint": None,
        "gateway": None,
        "default_catalog": "db",
        "dialect": "duckdb",
        "models": models,
        "external_models": externals or [],
        "standalone_audits": [],
    }
    entry.update(overrides)
    read_manifest(entry)
    return entry


def fqn(name: str, catalog: str | None = "db") -> str:
    return ".".join(f'"{p}"' for p in ([catalog] if catalog else []) + name.split("."))


def example_manifest(**overrides: Any) -> dict[str, Any]:
    """A small project: an external source, staging, marts, audits (one used twice)."""
    return manifest(
        [
            model(
                "staging.orders",
                depends_on=[fqn("raw.orders")],
                kind="VIEW",
                tags=["pii", "dagster:group_name:staging"],
                owner="jen@example.com",
                description="Orders, cleaned",
                columns=[column("id", "INT", "order id"), column("amount", "DOUBLE", None)],
                audits=[
                    audit("not_null", {"columns": "[id]"}),
                    audit("not_null", {"columns": "[amount]"}, False),
                ],
            ),
            model(
                "marts.revenue",
                depends_on=[fqn("staging.orders")],
                kind="INCREMENTAL_BY_TIME_RANGE",
                kind_details={"time_column": "ds", "batch_size": 7},
                owner="finance",
                partitioned_by=["ds"],
                audits=[audit("assert_positive", {"column": "revenue"}, True)],
            ),
            model("marts.hourly", depends_on=[fqn("staging.orders")], cron="@hourly", interval_unit="hour"),
        ],
        [external("raw.orders")],
        **overrides,
    )


def write_manifest(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data))
    return path


def big_manifest(n: int = 1000, audits_per_model: int = 2, columns_per_model: int = 10) -> dict[str, Any]:
    """``n`` models in a layered DAG, each with audits, columns and deps (for load-time tests)."""
    models = []
    for i in range(n):
        deps = [fqn(f"s{j % 10}.m{j}") for j in (i - 1, i - 7, i - 31) if j >= 0]
        if i % 50 == 0:
            deps.append(fqn(f"raw.src{i}"))
        models.append(
            model(
                f"s{i % 10}.m{i}",
                depends_on=deps,
                tags=["nightly", f"dagster:group_name:g{i % 5}"],
                owner="data@example.com",
                description=f"model {i}",
                columns=[column(f"c{c}", "INT", f"column {c}") for c in range(columns_per_model)],
                audits=[audit("not_null", {"columns": f"[c{a}]"}) for a in range(audits_per_model)],
            )
        )
    externals = [external(f"raw.src{i}") for i in range(0, n, 50)]
    return manifest(models, externals)
