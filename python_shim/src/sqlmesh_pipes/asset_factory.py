"""``sqlmesh_assets_factory``: every SQLMesh model as an asset of ONE subsettable multi-asset.

One multi-asset means one step, so one ``sqlmesh run`` per Dagster run whatever the selection;
``can_subset=True`` lets Dagster select any models and checks (including checks only, and the
subset a re-execution from failure picks) and the executor runs exactly that selection.
"""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.
import inspect
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    RetryPolicy,
    multi_asset,
)

from . import errors
from .resource import SQLMeshResource
from .run_config import SQLMeshRunConfig
from .specs import SQLMeshSpecs, build_sqlmesh_specs, model_of
from .time_partitions import UNITS
from .time_partitions import time_partitions as time_partitions_of
from .validation import type_error, validate_factory_args

_log = logging.getLogger("sqlmesh_pipes")
_MULTI_ASSET_PARAMS = inspect.signature(multi_asset).parameters


def _accepts_hidden_kwargs() -> bool:
    # Dagster 1.13 takes `allow_arbitrary_check_specs` through **kwargs (a hidden parameter).
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in _MULTI_ASSET_PARAMS.values())


SQLMESH_RESOURCE_KEY = "sqlmesh"
"""The resource key the assets require; bind a ``SQLMeshResource`` under it in ``Definitions``."""


_SPECS: dict[tuple[int, int, str | None], tuple[tuple[object, object], SQLMeshSpecs]] = {}
"""Specs by (manifest, translator, group) identity: the factories of one code location share them."""


def sqlmesh_specs_for(sqlmesh_resource: SQLMeshResource, *, group_name: str | None = None) -> SQLMeshSpecs:
    """Load the resource's manifest and build the specs with the resource's translator (once per
    manifest, translator and group: the assets and external assets factories both ask)."""
    manifest = sqlmesh_resource.get_manifest()
    if not manifest.models:
        raise errors.SQLMeshPipesDefinitionError(errors.NO_MODELS.format(manifest_path=manifest.path))
    translator = sqlmesh_resource.translator
    cache_key = (id(manifest), id(translator), group_name)
    cached = _SPECS.get(cache_key)
    # The manifest and translator are kept alive with the entry, so their ids cannot be reused.
    if cached is not None and cached[0][0] is manifest and cached[0][1] is translator:
        return cached[1]
    specs = build_sqlmesh_specs(manifest, translator, group_name=group_name)
    _SPECS[cache_key] = ((manifest, translator), specs)
    return specs


def sqlmesh_external_asset_specs(
    *, sqlmesh_resource: SQLMeshResource, group_name: str | None = None
) -> list[AssetSpec]:
    """The project's external models (``external_models.yaml``) as assets: description, columns,
    table name, kinds and group (see ``SQLMeshTranslator.get_external_asset_spec``). Pass them to
    ``Definitions(assets=[...])`` beside ``sqlmesh_assets_factory``'s; the definitions factory does."""
    return list(sqlmesh_specs_for(sqlmesh_resource, group_name=group_name).external_specs)


def partitions_for(sqlmesh_resource: SQLMeshResource, time_partitions: bool | str) -> dict[str, Any]:
    """The models' partitions for ``time_partitions`` (True: every unit; a unit name: that one)."""
    if isinstance(time_partitions, str) and time_partitions not in UNITS:
        raise errors.SQLMeshPipesDefinitionError(
            errors.BAD_TIME_PARTITIONS.format(value=time_partitions, units=", ".join(UNITS))
        )
    unit = time_partitions if isinstance(time_partitions, str) else None
    return time_partitions_of(sqlmesh_resource.get_manifest(), unit)


def sqlmesh_assets_factory(
    *,
    sqlmesh_resource: SQLMeshResource,
    name: str = "sqlmesh_assets",
    group_name: str | None = None,
    op_tags: Mapping[str, Any] | None = None,
    retry_policy: RetryPolicy | None = None,
    pool: str | None = None,
    owners: Sequence[str] | None = None,
    required_resource_keys: set[str] | None = None,
    time_partitions: bool | str = False,
) -> AssetsDefinition:
    """All SQLMesh models of ``sqlmesh_resource``'s project as one subsettable multi-asset.

    Args:
        sqlmesh_resource: Where the project and its manifest are, and the translator
            (``SQLMeshResource(translator=...)``). Bind the same resource under the key
            ``"sqlmesh"`` in your ``Definitions``; the run uses the bound one.
        name: Name of the multi-asset's op.
        group_name: Group for models without a ``dagster:group_name:`` tag (priority: tag >
            this argument > the translator's default, the model's schema).
        op_tags: Tags of the op (e.g. ``{"dagster/concurrency_key": "sqlmesh"}``).
        retry_policy: Retry policy of the step (a SQLMesh failure raises a retriable Failure).
        pool: Dagster concurrency pool of the step; default the project's (``SQLMeshResource.pool``),
            shared by every run of these models: limit it to 1 so that runs queue up instead of
            racing on SQLMesh's state.
        owners: Owners added to every model's own (``owner`` and ``dagster:owner:`` tags), as
            e-mails or ``team:<name>``.
        required_resource_keys: More resources the step requires (``"sqlmesh"`` always is).
        time_partitions: Give INCREMENTAL_BY_TIME_RANGE models Dagster time-window partitions of
            their interval unit (see ``sqlmesh_pipes.time_partitions``): a partition backfill is
            one ``sqlmesh run --start/--end`` over its window. A unit name (``"day"``,
            ``"hour"``…) partitions only the models of that unit: a Dagster job holds one
            partitions definition, so a project with several units needs one for jobs over all.

    Returns:
        An ``AssetsDefinition`` with one asset per model and one check per audit use.
    """
    validate_factory_args(
        "sqlmesh_assets_factory",
        sqlmesh_resource=sqlmesh_resource,
        name=name,
        group_name=group_name,
        op_tags=op_tags,
        retry_policy=retry_policy,
    )
    if owners is not None and (isinstance(owners, str) or not all(isinstance(o, str) for o in owners)):
        raise type_error(
            "sqlmesh_assets_factory", "owners", "a list of e-mails or 'team:<name>' strings", owners
        )
    specs = sqlmesh_specs_for(sqlmesh_resource, group_name=group_name)
    asset_specs = list(specs.asset_specs)
    if owners:
        asset_specs = [
            spec.replace_attributes(owners=list(dict.fromkeys([*spec.owners, *owners])))
            for spec in asset_specs
        ]
    for audit in specs.unattached_audits:
        _log.warning(errors.STANDALONE_AUDIT_UNATTACHED.format(audit=audit))
    check_specs = list(specs.check_specs)
    extra: dict[str, Any] = {}
    if time_partitions:
        by_model = partitions_for(sqlmesh_resource, time_partitions)
        asset_specs = [
            spec.replace_attributes(partitions_def=by_model[model])
            if (model := model_of(spec.metadata)) in by_model
            else spec
            for spec in asset_specs
        ]
        if by_model:
            # A backfill of many partitions is one run: one `sqlmesh run` over the whole window.
            extra["backfill_policy"] = BackfillPolicy.single_run()
    if specs.checks_outside_assets:
        # Checks of external models target assets this multi-asset does not materialize; Dagster
        # allows that with this (hidden) flag, the one dagster-dbt uses for source tests.
        if "allow_arbitrary_check_specs" in _MULTI_ASSET_PARAMS or _accepts_hidden_kwargs():
            extra["allow_arbitrary_check_specs"] = True
        else:  # pragma: no cover - a future Dagster without the flag
            own = {spec.key for spec in specs.asset_specs}
            dropped = sorted(spec.key.to_user_string() for spec in check_specs if spec.asset_key not in own)
            _log.warning(errors.EXTERNAL_CHECKS_DROPPED.format(checks=", ".join(dropped)))
            check_specs = [spec for spec in check_specs if spec.asset_key in own]

    @multi_asset(
        name=name,
        specs=asset_specs,
        check_specs=check_specs,
        can_subset=True,
        op_tags=op_tags,
        retry_policy=retry_policy,
        pool=pool or sqlmesh_resource.pool,
        required_resource_keys={SQLMESH_RESOURCE_KEY, *(required_resource_keys or ())},
        # No op description: Dagster shows it as the description of every model without one.
        **extra,
    )
    def _sqlmesh_assets(context: AssetExecutionContext, config: SQLMeshRunConfig):
        sqlmesh = getattr(context.resources, SQLMESH_RESOURCE_KEY)
        if not isinstance(sqlmesh, SQLMeshResource):
            raise errors.SQLMeshPipesDefinitionError(
                errors.BAD_ARGUMENT_TYPE.format(
                    function=name,
                    argument=f"resource {SQLMESH_RESOURCE_KEY!r}",
                    expected="a SQLMeshResource",
                    value=sqlmesh,
                    type_name=type(sqlmesh).__name__,
                )
            )
        yield from sqlmesh.run(
            context,
            execution_time=config.execution_time,
            start=config.start,
            end=config.end,
            ignore_cron=config.ignore_cron,
            restate_models=config.restate_models,
        )

    return _sqlmesh_assets
