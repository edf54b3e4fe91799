"""dg-sqlmesh's ``external_asset_mapping``: external tables keyed by a template.

``"target/main/{node.name}"`` keys the external table ``"db"."raw"."orders"`` as
``["target", "main", "orders"]``. Fields: ``node.database`` (catalog), ``node.schema``,
``node.name`` (table) and ``node.fqn`` (``db.raw.orders``); ``/`` separates key parts and empty
parts are dropped. The template is checked when definitions load, not at the first lookup.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from dagster import AssetKey

from . import errors
from .translator import SQLMeshTranslator, SQLMeshTranslatorSettings, split_fqn

TEMPLATE_FIELDS = ("database", "schema", "name", "fqn")
"""The ``node.<field>`` names a template may use."""


@dataclass(frozen=True)
class _Node:
    database: str
    schema: str
    name: str
    fqn: str


def _check_template(template: object) -> str:
    if not isinstance(template, str) or not template.strip():
        raise errors.SQLMeshPipesDefinitionError(
            errors.EXTERNAL_MAPPING_INVALID.format(template=template, problem="it is empty or not a string")
        )
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as e:
        raise errors.SQLMeshPipesDefinitionError(
            errors.EXTERNAL_MAPPING_INVALID.format(template=template, problem=e)
        ) from None
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if (
            not field.startswith("node.")
            or field[len("node.") :] not in TEMPLATE_FIELDS
            or spec
            or conversion
        ):
            problem = f"{{{field}}} is not one of " + ", ".join(
                f"{{node.{name}}}" for name in TEMPLATE_FIELDS
            )
            raise errors.SQLMeshPipesDefinitionError(
                errors.EXTERNAL_MAPPING_INVALID.format(template=template, problem=problem)
            )
    return template


def external_asset_key_from_template(template: str, external_fqn: str) -> AssetKey:
    """The asset key ``template`` gives the external table ``external_fqn`` (a quoted SQLMesh FQN)."""
    parts = split_fqn(external_fqn)
    database, schema, name = ([""] * 3 + parts)[-3:]
    node = _Node(database=database, schema=schema, name=name, fqn=".".join(parts))
    rendered = template.format(node=node)
    return AssetKey([segment.strip() for segment in rendered.split("/") if segment.strip()])


class ExternalAssetMappingTranslator(SQLMeshTranslator):
    """The default translator, with external tables keyed by an ``external_asset_mapping`` template
    (what dg-sqlmesh's ``JinjaSQLMeshTranslator`` does). External models mapped elsewhere are left
    to their owners: no external asset spec is made for them."""

    def __init__(
        self, external_asset_mapping: str, settings: SQLMeshTranslatorSettings | None = None
    ) -> None:
        super().__init__(settings)
        self.external_asset_mapping = _check_template(external_asset_mapping)
        external_asset_key_from_template(self.external_asset_mapping, '"catalog"."schema"."table"')

    def get_external_asset_key(self, external_fqn: str) -> AssetKey:
        return external_asset_key_from_template(self.external_asset_mapping, external_fqn)
