"""Map SQLMesh manifest entries to Dagster asset attributes.

One ``get_*`` hook per attribute, each over a ``default_*`` function of this module, so an
override can call ``super()`` (or the ``default_*`` function) and adjust the result::

    class MyTranslator(SQLMeshTranslator):
        def get_asset_key(self, model: ManifestModel) -> AssetKey:
            return super().get_asset_key(model).with_prefix("warehouse")

        def get_external_asset_key(self, external_fqn: str) -> AssetKey:
            # raw tables are loaded by Sling assets keyed ["sling", <table>]
            return AssetKey(["sling", split_fqn(external_fqn)[-1]])

        def get_group_name(self, context: SQLMeshTranslationContext, model: ManifestModel) -> str | None:
            if model.name.startswith("staging."):
                return "staging"
            return super().get_group_name(context, model)

Hooks receive manifest entries (``ManifestModel``), never SQLMesh objects: this package never
imports ``sqlmesh``. Where dg-sqlmesh passed a SQLMesh ``Context``, the ``context`` argument is
a ``SQLMeshTranslationContext``: the whole manifest plus the factory's ``group_name``.

Tag convention: a SQLMesh model tag ``dagster:<property>:<value>`` sets a Dagster property.
Supported: ``group_name`` (e.g. ``dagster:group_name:marts``; priority tag > factory argument >
default), ``owner`` (adds an owner, e.g. ``dagster:owner:team:finance``), ``kind`` (adds a kind).
Other SQLMesh tags become Dagster tags ``{tag: ""}`` when they are valid Dagster tag keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from dagster import (
    AssetKey,
    AssetSpec,
    AutomationCondition,
    FreshnessPolicy,
    MetadataValue,
    TableColumn,
    TableSchema,
)

from .manifest import Manifest, ManifestAudit, ManifestExternalModel, ManifestModel
from .name_rules import EMAIL

TAG_PROPERTY_PREFIX = "dagster:"
"""SQLMesh tags ``dagster:<property>:<value>`` set Dagster properties instead of becoming tags."""

METADATA_PREFIX = "sqlmesh_pipes/"

DEFAULT_METADATA_KEYS: tuple[str, ...] = (
    "name",
    "fqn",
    "kind",
    "kind_details",
    "cron",
    "interval_unit",
    "dialect",
    "query",
    "source_path",
    "partitioned_by",
    "clustered_by",
    "grains",
)
"""Model attributes shown as ``sqlmesh_pipes/<key>`` metadata (``name`` is ``sqlmesh_pipes/model_name``)."""

_VALID_TAG_KEY = re.compile(r"^([A-Za-z0-9_.-]{1,63}/)?[A-Za-z0-9_.-]{1,63}$")
_INVALID_NAME_CHARS = re.compile(r"[^A-Za-z0-9_]")


@dataclass(frozen=True)
class SQLMeshTranslatorSettings:
    """Switches for the default translation.

    Attributes:
        enable_asset_checks: Declare one asset check per audit use. Default True.
        metadata_keys: Model attributes passed to ``get_metadata`` as ``keys``.
        freshness_lag: How long after its cron's longest gap a model counts as overdue (see
            ``default_freshness_policy``); None: no freshness policies. Default one hour.
    """

    enable_asset_checks: bool = True
    metadata_keys: tuple[str, ...] = DEFAULT_METADATA_KEYS
    freshness_lag: timedelta | None = timedelta(hours=1)


@dataclass(frozen=True)
class SQLMeshTranslationContext:
    """What ``get_group_name`` and ``get_tags`` may consult besides the model.

    Attributes:
        manifest: The whole project manifest (all models, external models, dialect, gateway).
        group_name: The ``group_name`` argument of the factory, or None.
    """

    manifest: Manifest
    group_name: str | None = None


# --- helpers --------------------------------------------------------------------------------------


def split_fqn(fqn: str) -> list[str]:
    """Split a SQLMesh FQN into its parts: ``'"db"."sch"."t"'`` → ``['db', 'sch', 't']``.

    Handles quoted parts (with ``""`` escapes and dots inside quotes) and unquoted parts.
    """
    parts: list[str] = []
    current: list[str] = []
    in_quotes = False
    i = 0
    while i < len(fqn):
        ch = fqn[i]
        if in_quotes:
            if ch == '"':
                if i + 1 < len(fqn) and fqn[i + 1] == '"':
                    current.append('"')
                    i += 1
                else:
                    in_quotes = False
            else:
                current.append(ch)
        elif ch == '"':
            in_quotes = True
        elif ch == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def unquoted_fqn(fqn: str) -> str:
    """``'"db"."sch"."t"'`` → ``'db.sch.t'``."""
    return ".".join(split_fqn(fqn))


def parse_tag_properties(tags: Sequence[str]) -> dict[str, list[str]]:
    """``["dagster:group_name:marts", "pii"]`` → ``{"group_name": ["marts"]}``.

    The value is everything after the second ``:`` (so ``dagster:owner:team:data`` works).
    """
    properties: dict[str, list[str]] = {}
    for tag in tags:
        if tag.startswith(TAG_PROPERTY_PREFIX):
            parts = tag.split(":", 2)
            if len(parts) == 3 and parts[1] and parts[2]:
                properties.setdefault(parts[1], []).append(parts[2])
    return properties


def name_safe(value: str) -> str:
    """``value`` with every character Dagster refuses in a name (``[^A-Za-z0-9_]``) as ``_``."""
    return _INVALID_NAME_CHARS.sub("_", value) or "_"


def _metadata_value(key: str, value: Any) -> Any:
    if key == "query":
        return MetadataValue.md(f"```sql\n{value}\n```")
    if isinstance(value, (list, tuple, dict)):
        return MetadataValue.json(list(value) if isinstance(value, tuple) else value)
    return value


# --- default_* functions --------------------------------------------------------------------------


def default_asset_key(model: ManifestModel) -> AssetKey:
    """``[catalog, schema, table]`` (catalog left out when the model has none)."""
    parts = [model.schema, model.table]
    if model.catalog:
        parts.insert(0, model.catalog)
    return AssetKey(parts)


def default_external_asset_key(external_fqn: str) -> AssetKey:
    """The FQN's parts, so an external table keys like a model would: ``[catalog, schema, table]``."""
    return AssetKey(split_fqn(external_fqn))


def default_group_name(context: SQLMeshTranslationContext, model: ManifestModel) -> str | None:
    """Tag ``dagster:group_name:<g>`` > the factory's ``group_name`` > the model's schema."""
    from_tag = parse_tag_properties(model.tags).get("group_name")
    if from_tag:
        return from_tag[-1]
    if context.group_name:
        return context.group_name
    return name_safe(model.schema)


def default_tags(context: SQLMeshTranslationContext, model: ManifestModel) -> dict[str, str]:
    """SQLMesh tags as ``{tag: ""}``; ``dagster:`` property tags and invalid tag keys left out."""
    return {
        tag: "" for tag in model.tags if not tag.startswith(TAG_PROPERTY_PREFIX) and _VALID_TAG_KEY.match(tag)
    }


def default_metadata(model: ManifestModel, keys: Sequence[str]) -> dict[str, Any]:
    """``dagster/table_name``, ``dagster/column_schema``, ``sqlmesh_pipes/<key>`` per key (None skipped)."""
    metadata: dict[str, Any] = {"dagster/table_name": unquoted_fqn(model.fqn)}
    schema = default_column_schema(model)
    if schema is not None:
        metadata["dagster/column_schema"] = schema
    for key in keys:
        value = getattr(model, key)
        if value is None:
            continue
        name = "model_name" if key == "name" else key
        metadata[f"{METADATA_PREFIX}{name}"] = _metadata_value(key, value)
    return metadata


def default_column_schema(model: ManifestModel | ManifestExternalModel) -> TableSchema | None:
    if not model.columns:
        return None
    return TableSchema(
        columns=[
            TableColumn(name=col.name, type=col.type or "unknown", description=col.description)
            for col in model.columns
        ]
    )


def default_owners(model: ManifestModel) -> list[str]:
    """The model's ``owner`` (e-mail as is, else ``team:<owner>``) + ``dagster:owner:`` tags."""
    raw = [model.owner] if model.owner else []
    raw += parse_tag_properties(model.tags).get("owner", [])
    owners: list[str] = []
    for owner in raw:
        owner = owner.strip()
        if not (EMAIL.fullmatch(owner) or owner.startswith("team:")):
            owner = f"team:{owner}"
        if owner not in owners:
            owners.append(owner)
    return owners


def default_description(model: ManifestModel) -> str | None:
    return model.description


def default_code_version(model: ManifestModel) -> str | None:
    """SQLMesh's ``data_hash``: changes exactly when the model's data-affecting definition does."""
    return model.data_hash or None


NOT_RUN_ON_CRON_KINDS = frozenset({"SEED", "EMBEDDED", "EXTERNAL"})
"""Kinds ``sqlmesh run`` does not evaluate on their cron (a seed loads once): no freshness policy."""


def default_freshness_policy(model: ManifestModel, lag: timedelta | None) -> FreshnessPolicy | None:
    """Fail when the last materialization is older than the cron's longest gap plus ``lag``
    (a daily model with the default lag: 25 hours). None for kinds SQLMesh does not run on their
    cron, an unreadable cron, or no lag."""
    if lag is None or model.cron_period_seconds is None or model.kind in NOT_RUN_ON_CRON_KINDS:
        return None
    return FreshnessPolicy.time_window(fail_window=timedelta(seconds=model.cron_period_seconds) + lag)


def default_kinds(model: ManifestModel) -> set[str]:
    """``{"sqlmesh", <dialect>}`` + ``dagster:kind:`` tags."""
    kinds = {"sqlmesh"}
    if model.dialect:
        kinds.add(model.dialect)
    kinds.update(parse_tag_properties(model.tags).get("kind", []))
    return kinds


def default_check_name(model: ManifestModel, audit_index: int) -> str:
    """The audit's name; a second use of the same audit on the model gets ``_2``, a third ``_3``...

    Earlier uses keep their names when a later one is added, so check history survives; a suffix
    that would collide with another audit's name (``a``, ``a``, ``a_2``) is bumped until unique.
    """
    used: set[str] = set()
    name = ""
    for audit in model.audits[: audit_index + 1]:
        name = unique_name(name_safe(audit.name), used)
    return name


def unique_name(name: str, used: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``… when ``used`` already has it; the result is added to ``used``."""
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{name}_{n}"
    used.add(candidate)
    return candidate


def default_check_description(model: ManifestModel, audit_index: int) -> str:
    audit = model.audits[audit_index]
    args = ", ".join(f"{k}={v}" for k, v in audit.args.items())
    return f"SQLMesh audit {audit.name}({args}) on {model.name}" + (" (blocking)" if audit.blocking else "")


def default_check_metadata(model: ManifestModel, audit_index: int) -> dict[str, Any]:
    audit: ManifestAudit = model.audits[audit_index]
    return {
        f"{METADATA_PREFIX}audit_args": MetadataValue.json(dict(audit.args)),
        # External models have no dialect of their own.
        f"{METADATA_PREFIX}dialect": getattr(model, "dialect", None),
        f"{METADATA_PREFIX}blocking": audit.blocking,
    }


def default_external_asset_spec(
    context: SQLMeshTranslationContext, external: ManifestExternalModel, key: AssetKey
) -> AssetSpec | None:
    """An external model (``external_models.yaml``) as an asset: its description, column schema and
    table name, kinds ``{"sqlmesh", <dialect>}``, group as for a model of its schema. None when
    ``get_external_asset_key`` maps it elsewhere (another definition, e.g. a Sling asset, owns it)."""
    if key != default_external_asset_key(external.fqn):
        return None
    metadata: dict[str, Any] = {"dagster/table_name": unquoted_fqn(external.fqn)}
    schema = default_column_schema(external)
    if schema is not None:
        metadata["dagster/column_schema"] = schema
    dialect = context.manifest.dialect
    return AssetSpec(
        key=key,
        description=external.description,
        metadata=metadata,
        kinds={"sqlmesh", dialect} if dialect else {"sqlmesh"},
        group_name=context.group_name or name_safe(external.schema),
    )


# --- the translator -------------------------------------------------------------------------------


class SQLMeshTranslator:
    """Translates manifest entries to Dagster asset and check attributes. Subclass to customize.

    Every hook is used wherever its attribute appears: a custom ``get_asset_key`` also changes
    the keys in other models' ``deps``, and ``get_external_asset_key`` is how external tables
    (``depends_on`` entries that are not models of this project) become deps.
    """

    def __init__(self, settings: SQLMeshTranslatorSettings | None = None) -> None:
        self._settings = settings or SQLMeshTranslatorSettings()

    @property
    def settings(self) -> SQLMeshTranslatorSettings:
        return self._settings

    def get_asset_key(self, model: ManifestModel) -> AssetKey:
        """Asset key of a model. Default ``[catalog, schema, table]``."""
        return default_asset_key(model)

    def get_external_asset_key(self, external_fqn: str) -> AssetKey:
        """Asset key of an external table, given its quoted FQN (``'"db"."raw"."events"'``)."""
        return default_external_asset_key(external_fqn)

    def get_group_name(self, context: SQLMeshTranslationContext, model: ManifestModel) -> str | None:
        """Group: tag ``dagster:group_name:<g>`` > ``context.group_name`` > the model's schema."""
        return default_group_name(context, model)

    def get_tags(self, context: SQLMeshTranslationContext, model: ManifestModel) -> Mapping[str, str]:
        """Dagster tags (definition tags, not run tags). Default: SQLMesh tags as ``{tag: ""}``."""
        return default_tags(context, model)

    def get_metadata(self, model: ManifestModel, keys: Sequence[str]) -> Mapping[str, Any]:
        """Definition metadata: ``dagster/table_name``, ``dagster/column_schema`` and
        ``sqlmesh_pipes/<key>`` for each model attribute in ``keys`` (``settings.metadata_keys``).
        ``sqlmesh_pipes/model_name`` is always set afterwards: the executor relies on it.
        """
        return default_metadata(model, keys)

    def get_owners(self, model: ManifestModel) -> Sequence[str]:
        return default_owners(model)

    def get_description(self, model: ManifestModel) -> str | None:
        return default_description(model)

    def get_code_version(self, model: ManifestModel) -> str | None:
        return default_code_version(model)

    def get_kinds(self, model: ManifestModel) -> set[str]:
        return default_kinds(model)

    def get_freshness_policy(self, model: ManifestModel) -> FreshnessPolicy | None:
        """Default: overdue after the cron's longest gap plus ``settings.freshness_lag``."""
        return default_freshness_policy(model, self.settings.freshness_lag)

    def get_automation_condition(self, model: ManifestModel) -> AutomationCondition | None:
        """Default None: SQLMesh's crons decide what is due (see the adaptive schedule)."""
        return None

    def get_check_name(self, model: ManifestModel, audit_index: int) -> str:
        """Name of the check for ``model.audits[audit_index]``; must be unique per model."""
        return default_check_name(model, audit_index)

    def get_check_description(self, model: ManifestModel, audit_index: int) -> str | None:
        return default_check_description(model, audit_index)

    def get_external_asset_spec(
        self, context: SQLMeshTranslationContext, external: ManifestExternalModel, key: AssetKey
    ) -> AssetSpec | None:
        """The asset of an external model (``external_models.yaml``) under ``key`` (from
        ``get_external_asset_key``), or None to leave it to another definition. Default: a spec with
        its description and columns, unless ``get_external_asset_key`` remapped it (then None)."""
        return default_external_asset_spec(context, external, key)

    def get_check_metadata(self, model: ManifestModel, audit_index: int) -> Mapping[str, Any]:
        """Check metadata (args, dialect, blocking). Model/audit/index keys are always added after."""
        return default_check_metadata(model, audit_index)
