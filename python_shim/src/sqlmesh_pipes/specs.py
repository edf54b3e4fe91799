"""Build the AssetSpecs and AssetCheckSpecs of a SQLMesh project from its manifest.

Every attribute comes from the translator; this module only combines, validates (with error
messages that name the model and the fix) and adds the reserved ``sqlmesh_pipes/...`` metadata
that maps each asset key and check back to its model and audit at run time.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckSpec,
    AssetKey,
    AssetSpec,
    BetaWarning,
    CodeReferencesMetadataValue,
    LocalFileCodeReference,
    MetadataValue,
    TableColumnDep,
    TableColumnLineage,
)

from sqlmesh_pipes_console.project_files import working_directory

from . import errors
from .manifest import Manifest, ManifestModel
from .name_rules import EMAIL, VALID_GROUP_NAME, VALID_NAME
from .translator import (
    METADATA_PREFIX,
    SQLMeshTranslationContext,
    SQLMeshTranslator,
    name_safe,
    unique_name,
)

MODEL_NAME_METADATA_KEY = f"{METADATA_PREFIX}model_name"
"""On every asset and check spec: the SQLMesh model name (reserved, set after the translator)."""
AUDIT_NAME_METADATA_KEY = f"{METADATA_PREFIX}audit_name"
AUDIT_INDEX_METADATA_KEY = f"{METADATA_PREFIX}audit_index"
"""On every check spec: which audit use of the model (index into the manifest's ``audits``)."""
CODE_REFERENCES_METADATA_KEY = "dagster/code_references"
COLUMN_LINEAGE_METADATA_KEY = "dagster/column_lineage"


def model_of(metadata: Mapping[str, Any]) -> str:
    """The SQLMesh node a spec stands for, from its metadata (a raw value or Dagster's wrapper)."""
    value = metadata[MODEL_NAME_METADATA_KEY]
    return value.value if isinstance(value, MetadataValue) else value


def code_reference(root: Path, source_path: str) -> CodeReferencesMetadataValue:
    """The model's file as Dagster's code reference (the asset page links it)."""
    with warnings.catch_warnings():
        # Beta in Dagster 1.13, and the way dagster-dbt links models to files: not the user's concern.
        warnings.simplefilter("ignore", BetaWarning)
        return CodeReferencesMetadataValue(
            code_references=[LocalFileCodeReference(file_path=str(root / source_path))]
        )


@dataclass(frozen=True)
class SelectedCheckRef:
    """The audit use behind one asset check (``SelectedCheck`` in src/extras.ts, minus keys)."""

    model: str
    audit: str
    audit_index: int


@dataclass(frozen=True)
class SQLMeshSpecs:
    asset_specs: tuple[AssetSpec, ...]
    check_specs: tuple[AssetCheckSpec, ...]
    unattached_audits: tuple[str, ...] = ()
    """Standalone audits that query no model or external model: no asset to check."""
    external_specs: tuple[AssetSpec, ...] = ()
    """External models (``external_models.yaml``) as assets of their own, outside the multi-asset."""

    @property
    def checks_outside_assets(self) -> bool:
        """Whether some checks target assets the multi-asset does not materialize (external tables)."""
        own = {spec.key for spec in self.asset_specs}
        return any(spec.asset_key not in own for spec in self.check_specs)


def _asset_key(translator: SQLMeshTranslator, model: ManifestModel) -> AssetKey:
    key = translator.get_asset_key(model)
    if not isinstance(key, AssetKey):
        raise errors.SQLMeshPipesDefinitionError(
            errors.BAD_TRANSLATOR_RESULT.format(
                method="get_asset_key", value=key, model=model.name, expected="an AssetKey"
            )
        )
    # A subsettable multi-asset derives op input/output names from the key: Dagster would fail
    # later with an internal name ("__subset_input__...") that does not say which model or why.
    if not VALID_NAME.match(key.to_python_identifier()):
        raise errors.SQLMeshPipesDefinitionError(
            errors.INVALID_ASSET_KEY.format(key=key.to_user_string(), model=model.name)
        )
    return key


def _external_key(translator: SQLMeshTranslator, model: ManifestModel, dep: str) -> AssetKey:
    try:
        key = translator.get_external_asset_key(dep)
    except Exception as e:  # a user hook: report which model and dep it failed on
        raise errors.SQLMeshPipesDefinitionError(
            errors.EXTERNAL_KEY_FAILED.format(model=model.name, dep=dep, error=f"{type(e).__name__}: {e}")
        ) from e
    if not isinstance(key, AssetKey):
        raise errors.SQLMeshPipesDefinitionError(
            errors.EXTERNAL_KEY_NOT_MAPPED.format(model=model.name, dep=dep, value=key)
        )
    return key


def _group_name(
    translator: SQLMeshTranslator, context: SQLMeshTranslationContext, model: ManifestModel
) -> str | None:
    group = translator.get_group_name(context, model)
    if group is not None and not (isinstance(group, str) and VALID_GROUP_NAME.match(group)):
        from_tag = any(tag.startswith("dagster:group_name:") for tag in model.tags)
        source, fix = (
            ("tag dagster:group_name", "the model's tag")
            if from_tag
            else ("SQLMeshTranslator.get_group_name", "get_group_name or the factory's group_name")
        )
        raise errors.SQLMeshPipesDefinitionError(
            errors.INVALID_GROUP_NAME.format(value=group, model=model.name, source=source, fix=fix)
        )
    return group


def _owners(translator: SQLMeshTranslator, model: ManifestModel) -> list[str]:
    owners = list(translator.get_owners(model))
    for owner in owners:
        if not (
            isinstance(owner, str)
            and (EMAIL.fullmatch(owner) or (owner.startswith("team:") and len(owner) > 5))
        ):
            raise errors.SQLMeshPipesDefinitionError(
                errors.INVALID_OWNER.format(value=owner, model=model.name)
            )
    return owners


EMBEDDED_KIND = "EMBEDDED"


def _through_embedded(depends_on: Iterable[str], embedded: Mapping[str, ManifestModel]) -> list[str]:
    """``depends_on`` with each EMBEDDED model replaced by its own dependencies, transitively."""
    resolved: dict[str, None] = {}
    pending, seen = list(depends_on), set()
    while pending:
        dep = pending.pop(0)
        if dep in seen:
            continue
        seen.add(dep)
        if dep in embedded:
            pending.extend(embedded[dep].depends_on)
        else:
            resolved[dep] = None
    return list(resolved)


def _column_sources(
    fqn: str,
    column: str,
    embedded: Mapping[str, ManifestModel],
    seen: frozenset[tuple[str, str]] = frozenset(),
) -> list[tuple[str, str]]:
    """Where ``fqn.column`` comes from: itself, or through an EMBEDDED model (inlined, no asset)
    the columns its own lineage names, transitively."""
    model = embedded.get(fqn)
    if model is None:
        return [(fqn, column)]
    if (fqn, column) in seen:
        return []
    sources = (model.column_lineage or {}).get(column, ())
    return [
        found
        for source in sources
        for found in _column_sources(source.fqn, source.column, embedded, seen | {(fqn, column)})
    ]


def column_lineage(
    model: ManifestModel,
    key_of: Callable[[str], AssetKey | None],
    embedded: Mapping[str, ManifestModel] | None = None,
) -> TableColumnLineage | None:
    """The manifest's column lineage (SQLMesh's) with upstream tables as their asset keys
    (``key_of``: FQN → key), through EMBEDDED models; a table without an asset is left out.
    None when no column has an upstream asset."""
    deps_by_column: dict[str, list[TableColumnDep]] = {}
    for column, sources in (model.column_lineage or {}).items():
        found: dict[tuple[AssetKey, str], None] = {}
        for source in sources:
            for fqn, name in _column_sources(source.fqn, source.column, embedded or {}):
                key = key_of(fqn)
                if key is not None:
                    found[(key, name)] = None
        if found:
            deps_by_column[column] = [TableColumnDep(asset_key=key, column_name=name) for key, name in found]
    return TableColumnLineage(deps_by_column=deps_by_column) if deps_by_column else None


def build_sqlmesh_specs(
    manifest: Manifest, translator: SQLMeshTranslator, *, group_name: str | None = None
) -> SQLMeshSpecs:
    """One ``AssetSpec`` per model and one ``AssetCheckSpec`` per audit use (if enabled).

    Raises ``SQLMeshPipesDefinitionError`` when two models share a key, when an external
    dependency does not map to an ``AssetKey`` (or maps onto a model's key), or when a hook
    returns a value Dagster would reject.
    """
    context = SQLMeshTranslationContext(manifest=manifest, group_name=group_name)
    settings = translator.settings

    # EMBEDDED models are inlined into their consumers' queries: no table, never evaluated, so no
    # asset; a dependency on one is a dependency on what it reads.
    embedded = {model.fqn: model for model in manifest.models if model.kind == EMBEDDED_KIND}
    # Model files are relative to where SQLMesh runs (see the manifest's source_path).
    source_root = working_directory(manifest.project_dirs)
    models = [model for model in manifest.models if model.fqn not in embedded]

    key_by_fqn: dict[str, AssetKey] = {}
    model_by_key: dict[AssetKey, str] = {}
    for model in models:
        key = _asset_key(translator, model)
        if key in model_by_key:
            raise errors.SQLMeshPipesDefinitionError(
                errors.DUPLICATE_ASSET_KEY.format(
                    first=model_by_key[key], second=model.name, key=key.to_user_string()
                )
            )
        key_by_fqn[model.fqn] = key
        model_by_key[key] = model.name

    external_keys: dict[str, AssetKey] = {}
    asset_specs: list[AssetSpec] = []
    check_specs: list[AssetCheckSpec] = []

    for model in models:
        key = key_by_fqn[model.fqn]
        deps: dict[AssetKey, None] = {}
        for dep in _through_embedded(model.depends_on, embedded):
            if dep == model.fqn:
                continue  # self-referencing incremental models
            dep_key = key_by_fqn.get(dep)
            if dep_key is None:
                dep_key = external_keys.get(dep)
                if dep_key is None:
                    dep_key = _external_key(translator, model, dep)
                    if dep_key in model_by_key:
                        raise errors.SQLMeshPipesDefinitionError(
                            errors.EXTERNAL_KEY_IS_MODEL.format(
                                model=model.name,
                                dep=dep,
                                key=dep_key.to_user_string(),
                                other=model_by_key[dep_key],
                            )
                        )
                    external_keys[dep] = dep_key
            deps[dep_key] = None

        metadata = dict(translator.get_metadata(model, settings.metadata_keys))
        metadata[MODEL_NAME_METADATA_KEY] = model.name
        if model.source_path and CODE_REFERENCES_METADATA_KEY not in metadata:
            metadata[CODE_REFERENCES_METADATA_KEY] = code_reference(source_root, model.source_path)
        if model.column_lineage and COLUMN_LINEAGE_METADATA_KEY not in metadata:
            lineage = column_lineage(
                model, lambda fqn: key_by_fqn.get(fqn) or external_keys.get(fqn), embedded
            )
            if lineage is not None:
                metadata[COLUMN_LINEAGE_METADATA_KEY] = lineage
        tags = translator.get_tags(context, model)
        asset_specs.append(
            AssetSpec(
                key=key,
                deps=list(deps),
                description=translator.get_description(model),
                metadata=metadata,
                skippable=True,
                group_name=_group_name(translator, context, model),
                code_version=translator.get_code_version(model),
                automation_condition=translator.get_automation_condition(model),
                freshness_policy=translator.get_freshness_policy(model),
                owners=_owners(translator, model),
                tags=dict(tags) if tags else None,
                kinds=translator.get_kinds(model),
            )
        )

        if not settings.enable_asset_checks:
            continue
        names: set[str] = set()
        for index, audit in enumerate(model.audits):
            name = translator.get_check_name(model, index)
            if not isinstance(name, str) or not VALID_NAME.match(name) or name in names:
                problem = "a name used twice on the model" if name in names else "an invalid name"
                raise errors.SQLMeshPipesDefinitionError(
                    errors.BAD_TRANSLATOR_RESULT.format(
                        method="get_check_name",
                        value=name,
                        model=model.name,
                        expected=f"a unique name matching ^[A-Za-z0-9_]+$ per audit ({problem})",
                    )
                )
            names.add(name)
            check_metadata = dict(translator.get_check_metadata(model, index))
            check_metadata[MODEL_NAME_METADATA_KEY] = model.name
            check_metadata[AUDIT_NAME_METADATA_KEY] = audit.name
            check_metadata[AUDIT_INDEX_METADATA_KEY] = index
            spec = AssetCheckSpec(
                name=name,
                asset=key,
                description=translator.get_check_description(model, index),
                blocking=audit.blocking,
                metadata=check_metadata,
            )
            check_specs.append(spec)

    unattached: list[str] = []
    if settings.enable_asset_checks:
        used_names: dict[AssetKey, set[str]] = {}
        for spec in check_specs:
            used_names.setdefault(spec.asset_key, set()).add(spec.name)
        for external in manifest.external_models:
            if not external.audits:
                continue
            # The translator's check hooks read name, dialect-free audits: an external model fits.
            as_model: Any = external
            key = external_keys.get(external.fqn) or _external_key(translator, as_model, external.fqn)
            external_keys[external.fqn] = key
            for index, audit in enumerate(external.audits):
                name = unique_name(
                    translator.get_check_name(as_model, index), used_names.setdefault(key, set())
                )
                spec = AssetCheckSpec(
                    name=name,
                    asset=key,
                    description=translator.get_check_description(as_model, index),
                    blocking=audit.blocking,
                    metadata={
                        **translator.get_check_metadata(as_model, index),
                        MODEL_NAME_METADATA_KEY: external.name,
                        AUDIT_NAME_METADATA_KEY: audit.name,
                        AUDIT_INDEX_METADATA_KEY: index,
                    },
                )
                check_specs.append(spec)
        depth = _depths(models)
        for standalone in manifest.standalone_audits:
            target = _standalone_target(standalone.depends_on, key_by_fqn, external_keys, depth, embedded)
            if target is None:
                unattached.append(standalone.name)
                continue
            key, others = target
            # dbt test names carry dots (`local.relationships_...`).
            name = unique_name(name_safe(standalone.name), used_names.setdefault(key, set()))
            spec = AssetCheckSpec(
                name=name,
                asset=key,
                description=standalone.description
                or f"SQLMesh standalone audit {standalone.name} (never blocking; runs in full runs only)",
                blocking=False,
                additional_deps=others or None,
                metadata={
                    MODEL_NAME_METADATA_KEY: standalone.name,
                    AUDIT_NAME_METADATA_KEY: standalone.name,
                    AUDIT_INDEX_METADATA_KEY: 0,
                    f"{METADATA_PREFIX}standalone_audit": True,
                },
            )
            check_specs.append(spec)

    external_specs: list[AssetSpec] = []
    for external in manifest.external_models:
        as_model: Any = external  # the error messages name it like a model
        key = external_keys.get(external.fqn) or _external_key(translator, as_model, external.fqn)
        if key in model_by_key:
            continue  # mapped onto a model: that model's asset is it
        spec = translator.get_external_asset_spec(context, external, key)
        if spec is not None:
            external_specs.append(spec)

    return SQLMeshSpecs(
        asset_specs=tuple(asset_specs),
        check_specs=tuple(check_specs),
        external_specs=tuple(external_specs),
        unattached_audits=tuple(unattached),
    )


def _depths(models: Iterable[ManifestModel]) -> dict[str, int]:
    """Longest path from a root to each model (by FQN): the more downstream, the deeper."""
    by_fqn = {model.fqn: model for model in models}
    graph = {fqn: {d for d in model.depends_on if d in by_fqn and d != fqn} for fqn, model in by_fqn.items()}
    depth: dict[str, int] = {}
    for fqn in TopologicalSorter(graph).static_order():
        depth[fqn] = 1 + max((depth[parent] for parent in graph.get(fqn, ())), default=-1)
    return depth


def _standalone_target(
    depends_on: Iterable[str],
    key_by_fqn: Mapping[str, AssetKey],
    external_keys: Mapping[str, AssetKey],
    depth: Mapping[str, int],
    embedded: Mapping[str, ManifestModel],
) -> tuple[AssetKey, list[AssetKey]] | None:
    """Where a standalone audit's check goes, and its other dependencies.

    The rule: the most downstream model it queries (deepest in the DAG; ties by name), since an
    audit over several tables checks what the last of them produced; the other tables it reads
    become ``additional_deps``. An audit reading only external tables checks the first of them.
    """
    deps = _through_embedded(depends_on, embedded)
    models = sorted((fqn for fqn in deps if fqn in key_by_fqn), key=lambda fqn: (-depth.get(fqn, 0), fqn))
    externals = sorted(fqn for fqn in deps if fqn in external_keys)
    if models:
        target = key_by_fqn[models[0]]
    elif externals:
        target = external_keys[externals[0]]
    else:
        return None
    others = [key_by_fqn.get(fqn) or external_keys[fqn] for fqn in [*models, *externals]]
    return target, [key for key in dict.fromkeys(others) if key != target]
