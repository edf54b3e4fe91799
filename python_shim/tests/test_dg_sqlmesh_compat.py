"""dg-sqlmesh's parameters with the same meaning: external_asset_mapping, owners,
required_resource_keys (the documented examples themselves run in test/e2e/dagster)."""

from __future__ import annotations

import logging

import pytest
from dagster import AssetKey

from sqlmesh_pipes import (
    ExternalAssetMappingTranslator,
    SQLMeshPipesDefinitionError,
    SQLMeshTranslator,
    sqlmesh_assets_factory,
    sqlmesh_definitions_factory,
)

ORDERS = AssetKey(["db", "staging", "orders"])


@pytest.mark.parametrize(
    ("template", "fqn", "expected"),
    [
        ("target/main/{node.name}", '"shop"."landing"."web_events"', ["target", "main", "web_events"]),
        (
            "{node.database}/{node.schema}/{node.name}",
            '"shop"."landing"."web_events"',
            ["shop", "landing", "web_events"],
        ),
        ("raw/{node.fqn}", '"shop"."landing"."web_events"', ["raw", "shop.landing.web_events"]),
        # No catalog: the empty part is dropped, as dg-sqlmesh drops empty segments.
        ("{node.database}/{node.schema}/{node.name}", '"landing"."web_events"', ["landing", "web_events"]),
        (" sling / {node.name} ", '"a"."b"."c"', ["sling", "c"]),
    ],
)
def test_templates(template, fqn, expected):
    assert ExternalAssetMappingTranslator(template).get_external_asset_key(fqn) == AssetKey(expected)


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        (
            "target/{node.table}",
            r"\{node.table\} is not one of \{node.database\}, \{node.schema\}, \{node.name\}, \{node.fqn\}",
        ),
        ("target/{name}", r"\{name\} is not one of"),
        ("target/{node.name!r}", r"\{node.name\} is not one of"),
        ("target/{node.name", "expected '}'"),
        ("  ", "it is empty or not a string"),
    ],
)
def test_a_bad_template_is_an_error_when_definitions_load(factory_kwargs, template, problem):
    with pytest.raises(
        SQLMeshPipesDefinitionError, match=rf"external_asset_mapping .* is not a valid template \(.*{problem}"
    ):
        sqlmesh_definitions_factory(**factory_kwargs, external_asset_mapping=template)


def test_the_mapping_keys_external_deps_and_leaves_those_tables_to_their_owners(factory_kwargs):
    defs = sqlmesh_definitions_factory(**factory_kwargs, external_asset_mapping="sling/{node.name}")
    graph = defs.resolve_asset_graph()
    assert graph.get(ORDERS).parent_keys == {AssetKey(["sling", "orders"])}
    # No external asset spec of ours under either key: Sling's asset owns the table.
    assert AssetKey(["db", "raw", "orders"]) not in graph.get_all_asset_keys()
    assert graph.get(AssetKey(["sling", "orders"])).is_external


def test_a_translator_wins_over_the_mapping_with_a_warning(factory_kwargs, caplog):
    with caplog.at_level(logging.WARNING, logger="sqlmesh_pipes"):
        defs = sqlmesh_definitions_factory(
            **factory_kwargs, translator=SQLMeshTranslator(), external_asset_mapping="x/{node.name}"
        )
    assert (
        "external_asset_mapping 'x/{node.name}' is ignored because a translator was given too" in caplog.text
    )
    assert defs.resolve_asset_graph().get(ORDERS).parent_keys == {AssetKey(["db", "raw", "orders"])}


def test_owners_are_added_to_every_models_own(factory_kwargs):
    defs = sqlmesh_definitions_factory(**factory_kwargs, owners=["team:data", "ops@example.com"])
    graph = defs.resolve_asset_graph()
    assert graph.get(ORDERS).owners == ["jen@example.com", "team:data", "ops@example.com"]
    assert graph.get(AssetKey(["db", "marts", "hourly"])).owners == ["team:data", "ops@example.com"]


def test_owners_must_be_a_list(make_resource):
    with pytest.raises(SQLMeshPipesDefinitionError, match="owners must be a list of e-mails"):
        sqlmesh_assets_factory(sqlmesh_resource=make_resource(), owners="team:data")  # type: ignore[arg-type]


def test_required_resource_keys_are_added(make_resource):
    assets = sqlmesh_assets_factory(sqlmesh_resource=make_resource(), required_resource_keys={"warehouse"})
    assert assets.required_resource_keys >= {"sqlmesh", "warehouse"}
