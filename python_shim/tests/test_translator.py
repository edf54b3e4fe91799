from __future__ import annotations

import json
from pathlib import Path

import pytest
from dagster import AssetKey, MetadataValue, TableSchema
from shim_helpers import audit, manifest, model

from sqlmesh_pipes import SQLMeshTranslationContext, SQLMeshTranslator, SQLMeshTranslatorSettings
from sqlmesh_pipes.manifest import parse_manifest
from sqlmesh_pipes.translator import default_asset_key, parse_tag_properties, split_fqn

REPO = Path(__file__).resolve().parents[2]


def _model(**overrides):
    name = overrides.pop("name", "sch.orders")
    return parse_manifest(manifest([model(name, **overrides)])).models[0]


def _context(group_name=None, **overrides):
    return SQLMeshTranslationContext(
        manifest=parse_manifest(manifest([model("sch.orders", **overrides)])), group_name=group_name
    )


@pytest.mark.parametrize(
    ("fqn", "parts"),
    [
        ('"db"."sch"."t"', ["db", "sch", "t"]),
        ("db.sch.t", ["db", "sch", "t"]),
        ('"sch"."t"', ["sch", "t"]),
        ('"my.db"."sch"."t"', ["my.db", "sch", "t"]),
        ('"a""b"."t"', ['a"b', "t"]),
    ],
)
def test_split_fqn(fqn, parts):
    assert split_fqn(fqn) == parts


def test_default_keys():
    t = SQLMeshTranslator()
    assert t.get_asset_key(_model()) == AssetKey(["db", "sch", "orders"])
    assert t.get_asset_key(_model(catalog=None)) == AssetKey(["sch", "orders"])
    assert t.get_external_asset_key('"db"."raw"."events"') == AssetKey(["db", "raw", "events"])


@pytest.mark.parametrize(
    ("tags", "factory_group", "expected"),
    [
        (["dagster:group_name:marts"], "factory", "marts"),  # tag wins
        ([], "factory", "factory"),  # then the factory argument
        ([], None, "sch"),  # then the schema
        (["dagster:group_name:a", "dagster:group_name:b"], None, "b"),  # last tag wins
    ],
)
def test_group_name_priority(tags, factory_group, expected):
    m = _model(tags=tags)
    assert SQLMeshTranslator().get_group_name(_context(factory_group), m) == expected


def test_default_group_is_name_safe():
    m = _model(name="my-schema.t")
    assert SQLMeshTranslator().get_group_name(_context(), m) == "my_schema"


def test_tags_leave_out_properties_and_invalid_keys():
    m = _model(tags=["pii", "dagster:group_name:x", "has space", "ok.tag-1"])
    assert SQLMeshTranslator().get_tags(_context(), m) == {"pii": "", "ok.tag-1": ""}


def test_tag_properties():
    assert parse_tag_properties(["dagster:owner:team:data", "dagster:kind:dbt", "dagster:bad", "x"]) == {
        "owner": ["team:data"],
        "kind": ["dbt"],
    }


def test_owners():
    t = SQLMeshTranslator()
    assert t.get_owners(_model(owner="jen@example.com")) == ["jen@example.com"]
    assert t.get_owners(_model(owner="finance")) == ["team:finance"]
    assert t.get_owners(_model(owner="team:finance", tags=["dagster:owner:bo@example.com"])) == [
        "team:finance",
        "bo@example.com",
    ]
    assert t.get_owners(_model(owner=None)) == []


def test_kinds_description_code_version():
    t = SQLMeshTranslator()
    m = _model(dialect="snowflake", tags=["dagster:kind:iceberg"], description="d", data_hash="123")
    assert t.get_kinds(m) == {"sqlmesh", "snowflake", "iceberg"}
    assert t.get_description(m) == "d"
    assert t.get_code_version(m) == "123"


def test_metadata():
    t = SQLMeshTranslator()
    m = _model(
        partitioned_by=["ds"],
        kind_details={"time_column": "ds"},
        columns=[{"name": "id", "type": None, "description": "the id"}],
        query=None,
    )
    md = t.get_metadata(m, t.settings.metadata_keys)
    assert md["dagster/table_name"] == "db.sch.orders"
    schema = md["dagster/column_schema"]
    assert isinstance(schema, TableSchema)
    assert (schema.columns[0].name, schema.columns[0].type, schema.columns[0].description) == (
        "id",
        "unknown",
        "the id",
    )
    assert md["sqlmesh_pipes/model_name"] == "sch.orders"
    assert md["sqlmesh_pipes/cron"] == "@daily"
    assert md["sqlmesh_pipes/partitioned_by"] == MetadataValue.json(["ds"])
    assert md["sqlmesh_pipes/kind_details"] == MetadataValue.json({"time_column": "ds"})
    assert "sqlmesh_pipes/query" not in md  # null query (Python model) is left out
    assert set(t.get_metadata(m, ["kind"])) == {
        "dagster/table_name",
        "dagster/column_schema",
        "sqlmesh_pipes/kind",
    }


def test_query_metadata_is_sql_markdown():
    md = SQLMeshTranslator().get_metadata(_model(query="SELECT 1"), ["query"])
    assert md["sqlmesh_pipes/query"] == MetadataValue.md("```sql\nSELECT 1\n```")


_NAME_CASES = json.loads((REPO / "test" / "fixtures" / "contracts" / "default-names.json").read_text())


@pytest.mark.parametrize("case", _NAME_CASES["check_names"], ids=lambda c: ",".join(c["audits"]))
def test_default_check_names_match_the_executors(case):
    # The same cases as src/report/names.ts's tests: one file, read by both suites.
    m = _model(audits=[audit(name) for name in case["audits"]])
    t = SQLMeshTranslator()
    assert [t.get_check_name(m, i) for i in range(len(case["audits"]))] == case["names"]


@pytest.mark.parametrize("case", _NAME_CASES["asset_keys"], ids=lambda c: c["key"])
def test_default_asset_keys_match_the_executors(case):
    name = f"{case['schema']}.{case['table']}"
    m = parse_manifest(
        manifest([model(name, catalog=case["catalog"], schema=case["schema"], table=case["table"])])
    )
    assert default_asset_key(m.models[0]).to_escaped_user_string() == case["key"]


def test_check_metadata_and_description():
    m = _model(audits=[audit("accepted_range", {"column": "x", "min_v": "0"}, blocking=False)])
    t = SQLMeshTranslator()
    md = t.get_check_metadata(m, 0)
    assert md["sqlmesh_pipes/audit_args"] == MetadataValue.json({"column": "x", "min_v": "0"})
    assert md["sqlmesh_pipes/blocking"] is False
    assert md["sqlmesh_pipes/dialect"] == "duckdb"
    assert t.get_check_description(m, 0) == "SQLMesh audit accepted_range(column=x, min_v=0) on sch.orders"


def test_settings_are_frozen():
    settings = SQLMeshTranslatorSettings(enable_asset_checks=False)
    assert SQLMeshTranslator(settings).settings is settings
    with pytest.raises(AttributeError):
        settings.enable_asset_checks = True  # type: ignore[misc]
