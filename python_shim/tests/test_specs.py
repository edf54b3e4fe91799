from __future__ import annotations

import json

import pytest
from dagster import AssetCheckKey, AssetKey, Definitions, multi_asset
from shim_helpers import (
    audit,
    big_manifest,
    example_manifest,
    external,
    fqn,
    manifest,
    model,
    standalone_audit,
)

from sqlmesh_pipes import SQLMeshPipesDefinitionError, SQLMeshTranslator, SQLMeshTranslatorSettings
from sqlmesh_pipes.manifest import parse_manifest
from sqlmesh_pipes.specs import (
    AUDIT_INDEX_METADATA_KEY,
    AUDIT_NAME_METADATA_KEY,
    MODEL_NAME_METADATA_KEY,
    build_sqlmesh_specs,
)

ORDERS = AssetKey(["db", "staging", "orders"])
REVENUE = AssetKey(["db", "marts", "revenue"])


def _specs(data=None, translator=None, **kwargs):
    return build_sqlmesh_specs(
        parse_manifest(data or example_manifest()), translator or SQLMeshTranslator(), **kwargs
    )


def audit_use(specs, key: AssetCheckKey) -> tuple[str, str, int]:
    """What the resource maps a selected check back to: (model, audit, index) from the spec metadata."""
    (spec,) = [spec for spec in specs.check_specs if spec.key == key]
    metadata = spec.metadata
    return (
        metadata[MODEL_NAME_METADATA_KEY],
        metadata[AUDIT_NAME_METADATA_KEY],
        metadata[AUDIT_INDEX_METADATA_KEY],
    )


def test_one_spec_per_model_with_deps_including_externals():
    specs = _specs()
    by_key = {s.key: s for s in specs.asset_specs}
    assert set(by_key) == {ORDERS, REVENUE, AssetKey(["db", "marts", "hourly"])}
    assert [d.asset_key for d in by_key[ORDERS].deps] == [AssetKey(["db", "raw", "orders"])]
    assert [d.asset_key for d in by_key[REVENUE].deps] == [ORDERS]
    assert by_key[REVENUE].metadata[MODEL_NAME_METADATA_KEY] == "marts.revenue"


def test_spec_attributes():
    spec = {s.key: s for s in _specs(group_name="wh").asset_specs}[ORDERS]
    assert spec.skippable
    assert spec.code_version == "hash-staging.orders"
    assert spec.group_name == "staging"  # tag beats the factory argument
    assert spec.owners == ["jen@example.com"]
    assert spec.description == "Orders, cleaned"
    assert spec.kinds == {"sqlmesh", "duckdb"}
    assert spec.tags["pii"] == ""
    assert spec.metadata["sqlmesh_pipes/model_name"] == "staging.orders"
    assert spec.metadata["dagster/table_name"] == "db.staging.orders"
    assert [c.description for c in spec.metadata["dagster/column_schema"].columns] == ["order id", None]
    revenue = {s.key: s for s in _specs(group_name="wh").asset_specs}[REVENUE]
    assert revenue.group_name == "wh" and revenue.owners == ["team:finance"]


def test_check_specs_unique_blocking_and_mapped_back():
    specs = _specs()
    checks = {c.key: c for c in specs.check_specs}
    assert set(checks) == {
        AssetCheckKey(ORDERS, "not_null"),
        AssetCheckKey(ORDERS, "not_null_2"),
        AssetCheckKey(REVENUE, "assert_positive"),
    }
    second = checks[AssetCheckKey(ORDERS, "not_null_2")]
    assert second.blocking is False and checks[AssetCheckKey(ORDERS, "not_null")].blocking is True
    assert second.metadata["sqlmesh_pipes/audit_index"] == 1
    assert second.metadata["sqlmesh_pipes/audit_name"] == "not_null"
    assert second.metadata["sqlmesh_pipes/model_name"] == "staging.orders"
    assert audit_use(specs, AssetCheckKey(ORDERS, "not_null_2")) == ("staging.orders", "not_null", 1)


def test_checks_can_be_disabled():
    specs = _specs(translator=SQLMeshTranslator(SQLMeshTranslatorSettings(enable_asset_checks=False)))
    assert specs.check_specs == ()


def test_reserved_metadata_survives_a_custom_get_metadata():
    class Bare(SQLMeshTranslator):
        def get_metadata(self, model, keys):
            return {"owner_team": "x"}

    spec = _specs(translator=Bare()).asset_specs[0]
    assert spec.metadata == {"owner_team": "x", "sqlmesh_pipes/model_name": "staging.orders"}


def test_custom_external_key_is_used_in_deps():
    class Sling(SQLMeshTranslator):
        def get_external_asset_key(self, external_fqn):
            return AssetKey(["sling", external_fqn.split(".")[-1].strip('"')])

    spec = {s.key: s for s in _specs(translator=Sling()).asset_specs}[ORDERS]
    assert [d.asset_key for d in spec.deps] == [AssetKey(["sling", "orders"])]


def test_undeclared_external_dep_also_maps():
    data = manifest([model("s.a", depends_on=[fqn("other.table")])])
    assert [d.asset_key for d in _specs(data).asset_specs[0].deps] == [AssetKey(["db", "other", "table"])]


def test_self_reference_is_not_a_dep():
    data = manifest([model("s.a", depends_on=[fqn("s.a"), fqn("raw.x")])], [external("raw.x")])
    assert [d.asset_key for d in _specs(data).asset_specs[0].deps] == [AssetKey(["db", "raw", "x"])]


def test_external_dep_not_mapped_names_model_dep_and_fix():
    class Partial(SQLMeshTranslator):
        def get_external_asset_key(self, external_fqn):
            return None

    with pytest.raises(SQLMeshPipesDefinitionError) as e:
        _specs(translator=Partial())
    text = str(e.value)
    assert (
        "'staging.orders'" in text
        and '"db"."raw"."orders"' in text
        and "override get_external_asset_key" in text
    )


def test_external_dep_hook_raising_is_wrapped():
    class Raising(SQLMeshTranslator):
        def get_external_asset_key(self, external_fqn):
            raise KeyError(external_fqn)

    with pytest.raises(SQLMeshPipesDefinitionError, match="'staging.orders' depends on external table"):
        _specs(translator=Raising())


def test_external_mapped_onto_a_model_key_is_refused():
    class Clash(SQLMeshTranslator):
        def get_external_asset_key(self, external_fqn):
            return REVENUE

    with pytest.raises(SQLMeshPipesDefinitionError, match="the key of SQLMesh model 'marts.revenue'"):
        _specs(translator=Clash())


def test_duplicate_keys_are_refused():
    class Flat(SQLMeshTranslator):
        def get_asset_key(self, model):
            return AssetKey(model.table)

    data = manifest([model("a.t"), model("b.t")])
    with pytest.raises(SQLMeshPipesDefinitionError, match="'a.t' and 'b.t' both map to asset key t"):
        _specs(data, translator=Flat())


@pytest.mark.parametrize(
    ("hook", "value", "message"),
    [
        ("get_asset_key", "a/b", "get_asset_key returned 'a/b'"),
        ("get_check_name", "same", "a name used twice"),
        ("get_check_name", "bad name", "an invalid name"),
    ],
)
def test_bad_hook_results(hook, value, message):
    translator = type("T", (SQLMeshTranslator,), {hook: lambda self, *args: value})()
    data = manifest([model("s.a", audits=[audit("x"), audit("y")])])
    with pytest.raises(SQLMeshPipesDefinitionError, match=message):
        _specs(data, translator=translator)


def test_invalid_group_from_tag_says_so():
    data = manifest([model("s.a", tags=["dagster:group_name:bad-group"])])
    with pytest.raises(SQLMeshPipesDefinitionError, match="from tag dagster:group_name"):
        _specs(data)


def test_invalid_owner_is_refused_clearly():
    class Owners(SQLMeshTranslator):
        def get_owners(self, model):
            return ["nobody"]

    with pytest.raises(SQLMeshPipesDefinitionError, match="Invalid owner 'nobody' for SQLMesh model"):
        _specs(translator=Owners())


def test_1000_model_manifest_builds_one_subsettable_asset():
    # Load time is measured by scripts/bench-load.py, not asserted here.
    raw = json.dumps(big_manifest(1000))
    specs = build_sqlmesh_specs(parse_manifest(json.loads(raw)), SQLMeshTranslator())

    @multi_asset(
        specs=list(specs.asset_specs), check_specs=list(specs.check_specs), can_subset=True, name="big"
    )
    def big(context):
        pass

    repository = Definitions(assets=[big]).get_repository_def()
    assert len(specs.asset_specs) == 1000 and len(specs.check_specs) == 2000
    assert len(big.keys) == 1000 and big.can_subset
    assert repository.asset_graph.get_all_asset_keys() >= big.keys


def test_asset_key_parts_dagster_cannot_name_are_refused_clearly():
    class Spaced(SQLMeshTranslator):
        def get_asset_key(self, model):
            return AssetKey(["my shop", *super().get_asset_key(model).path])

    expected = r"Asset key 'my shop/.*' of SQLMesh model .* override SQLMeshTranslator.get_asset_key"
    with pytest.raises(SQLMeshPipesDefinitionError, match=expected):
        _specs(translator=Spaced())


def test_embedded_models_are_not_assets_and_deps_go_through_them():
    raw = manifest(
        [
            model("shop.raw"),
            model("shop.inline", kind="EMBEDDED", depends_on=[fqn("shop.raw")]),
            model("shop.final", depends_on=[fqn("shop.inline")]),
        ]
    )
    specs = build_sqlmesh_specs(parse_manifest(raw), SQLMeshTranslator())
    by_key = {spec.key.to_user_string(): spec for spec in specs.asset_specs}
    assert sorted(by_key) == ["db/shop/final", "db/shop/raw"]
    assert [dep.asset_key.to_user_string() for dep in by_key["db/shop/final"].deps] == ["db/shop/raw"]


def _with_other_audits():
    data = example_manifest()
    data["external_models"] = [
        external(
            "raw.orders", audits=[audit("not_null", {"columns": "[id]"}), audit("accepted_range", {}, False)]
        )
    ]
    data["standalone_audits"] = [
        standalone_audit(
            "revenue_matches_orders", [fqn("staging.orders"), fqn("marts.revenue"), fqn("raw.orders")]
        ),
        standalone_audit("raw_is_fresh", [fqn("raw.orders")]),
        standalone_audit("not_null", [fqn("marts.revenue")]),  # a name the model's own audits may use too
        standalone_audit("queries_nothing_known", []),
    ]
    return data


def test_external_model_audits_are_checks_on_the_external_asset():
    specs = _specs(_with_other_audits())
    raw = AssetKey(["db", "raw", "orders"])
    checks = {spec.key: spec for spec in specs.check_specs}
    assert {key.name for key in checks if key.asset_key == raw} == {
        "not_null",
        "accepted_range",
        "raw_is_fresh",
    }
    assert (
        checks[AssetCheckKey(raw, "not_null")].blocking
        and not checks[AssetCheckKey(raw, "accepted_range")].blocking
    )
    assert audit_use(specs, AssetCheckKey(raw, "accepted_range")) == ("raw.orders", "accepted_range", 1)
    assert specs.checks_outside_assets


def test_standalone_audits_go_on_the_most_downstream_model_they_query():
    specs = _specs(_with_other_audits())
    checks = {spec.key: spec for spec in specs.check_specs}
    match = checks[AssetCheckKey(REVENUE, "revenue_matches_orders")]
    assert not match.blocking
    assert {dep.asset_key for dep in match.additional_deps} == {ORDERS, AssetKey(["db", "raw", "orders"])}
    assert audit_use(specs, match.key) == ("revenue_matches_orders", "revenue_matches_orders", 0)
    # Its name is free on marts.revenue unless the model's own audit took it: then suffixed.
    revenue_checks = sorted(key.name for key in checks if key.asset_key == REVENUE)
    assert revenue_checks == ["assert_positive", "not_null", "revenue_matches_orders"]
    assert specs.unattached_audits == ("queries_nothing_known",)


def test_a_standalone_audit_named_like_a_model_audit_gets_a_suffix():
    data = _with_other_audits()
    data["standalone_audits"] = [standalone_audit("assert_positive", [fqn("marts.revenue")])]
    names = sorted(spec.key.name for spec in _specs(data).check_specs if spec.key.asset_key == REVENUE)
    assert names == ["assert_positive", "assert_positive_2"]


def test_the_factory_builds_checks_on_external_assets(manifest_file, project_dir):
    from sqlmesh_pipes import SQLMeshResource, sqlmesh_assets_factory

    manifest_file(_with_other_audits())
    resource = SQLMeshResource(project_dir=str(project_dir))
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    assert AssetCheckKey(AssetKey(["db", "raw", "orders"]), "not_null") in assets.check_keys
    Definitions(assets=[assets], resources={"sqlmesh": resource}).resolve_all_job_defs()


def test_external_models_are_assets_with_their_description_and_columns():
    data = example_manifest()
    data["external_models"][0]["description"] = "Orders as the shop system exports them"
    (spec,) = _specs(data).external_specs
    assert spec.key == AssetKey(["db", "raw", "orders"])
    assert spec.description == "Orders as the shop system exports them"
    assert spec.metadata["dagster/table_name"] == "db.raw.orders"
    assert [column.name for column in spec.metadata["dagster/column_schema"].columns] == ["id"]
    assert (set(spec.kinds), spec.group_name) == ({"sqlmesh", "duckdb"}, "raw")
    assert _specs(data, group_name="wh").external_specs[0].group_name == "wh"


def test_an_external_model_mapped_elsewhere_is_left_to_its_owner():
    class SlingTranslator(SQLMeshTranslator):
        def get_external_asset_key(self, external_fqn):
            return AssetKey(["sling", "orders"])

    class NoExternals(SQLMeshTranslator):
        def get_external_asset_spec(self, context, external, key):
            return None

    assert _specs(translator=SlingTranslator()).external_specs == ()
    assert _specs(translator=NoExternals()).external_specs == ()


def _source(name: str, column: str) -> dict[str, str]:
    return {"fqn": fqn(name), "column": column}


def test_column_lineage_uses_the_translators_keys_and_resolves_embedded_models():
    class Prefixed(SQLMeshTranslator):
        def get_asset_key(self, model):
            return super().get_asset_key(model).with_prefix("wh")

    data = manifest(
        [
            model(
                "staging.orders",
                depends_on=[fqn("raw.orders")],
                column_lineage={"id": [_source("raw.orders", "id")]},
            ),
            model(
                "staging.big",
                kind="EMBEDDED",
                depends_on=[fqn("staging.orders")],
                column_lineage={"id": [_source("staging.orders", "id")]},
            ),
            model(
                "marts.revenue",
                depends_on=[fqn("staging.orders"), fqn("staging.big"), fqn("raw.fx")],
                column_lineage={
                    "order_id": [_source("staging.orders", "id")],
                    "big_id": [_source("staging.big", "id"), _source("raw.fx", "rate")],
                    "unknown_only": [_source("nowhere.table", "x")],  # no asset: left out
                },
            ),
            model("marts.py_model", column_lineage=None),
        ],
        [external("raw.orders")],
    )
    specs = {spec.key: spec for spec in _specs(data, Prefixed()).asset_specs}
    revenue = specs[AssetKey(["wh", "db", "marts", "revenue"])].metadata["dagster/column_lineage"]
    as_pairs = {
        column: {(dep.asset_key.to_user_string(), dep.column_name) for dep in deps}
        for column, deps in revenue.deps_by_column.items()
    }
    assert as_pairs == {
        "order_id": {("wh/db/staging/orders", "id")},
        "big_id": {("wh/db/staging/orders", "id"), ("db/raw/fx", "rate")},
    }
    orders = specs[AssetKey(["wh", "db", "staging", "orders"])].metadata["dagster/column_lineage"]
    assert orders.deps_by_column["id"][0].asset_key == AssetKey(["db", "raw", "orders"])
    assert "dagster/column_lineage" not in specs[AssetKey(["wh", "db", "marts", "py_model"])].metadata
