"""``SQLMeshProjectComponent``: a SQLMesh project as a Dagster component (``defs.yaml``).

::

    # <project>/src/<project>/defs/sqlmesh/defs.yaml
    type: sqlmesh_pipes.SQLMeshProjectComponent
    attributes:
      project: ../../../../sqlmesh_project      # relative to this defs.yaml's folder
      gateway: local
      translation:
        key_prefix: warehouse

Built on ``sqlmesh_definitions_factory``: the same resource (key ``"sqlmesh"``), assets, job and
adaptive schedule (on by default here, as in dg-sqlmesh's component; created STOPPED). dg-sqlmesh
1.x's attribute names are accepted too (``sqlmesh_config``, ``concurrency_jobs_limit``,
``default_group_name``); giving one setting under both names is an error. See docs/component.md.
"""

# No `from __future__ import annotations`: Dagster reads these dataclass annotations at run time.
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from dagster import AssetKey, Definitions
from dagster.components import (
    Component,
    ComponentLoadContext,
    ComponentTypeSpec,
    ResolutionContext,
    Resolvable,
    Resolver,
    scaffold_with,
)

from . import errors
from .component_scaffold import SQLMeshProjectComponentScaffolder
from .definitions import sqlmesh_definitions_factory
from .manifest import ManifestModel
from .time_partitions import UNITS
from .translator import SQLMeshTranslationContext, SQLMeshTranslator, SQLMeshTranslatorSettings

COMPONENT = "SQLMeshProjectComponent"


# --- resolvers ------------------------------------------------------------------------------------


def _relative_to_defs_yaml(context: ResolutionContext, value: Any) -> Any:
    """A path written in defs.yaml, made absolute against the defs.yaml folder. Non-strings and
    empty strings are returned as they are, for ``__post_init__`` to report."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value.strip():
        return value
    return str(context.resolve_source_relative_path(value))


def _resolve_path(context: ResolutionContext, value: Any) -> Any:
    return _relative_to_defs_yaml(context, context.resolve_value(value))


def _resolve_paths(context: ResolutionContext, value: Any) -> Any:
    value = context.resolve_value(value)
    if isinstance(value, (list, tuple)):
        return [_relative_to_defs_yaml(context, item) for item in value]
    return _relative_to_defs_yaml(context, value)


def _resolve_python(context: ResolutionContext, value: Any) -> Any:
    """A path (has a ``/``) is relative to the defs.yaml folder; a bare command stays a command."""
    value = context.resolve_value(value)
    if isinstance(value, str) and ("/" in value or os.sep in value):
        return _relative_to_defs_yaml(context, value)
    return value


def _resolve_tags(context: ResolutionContext, value: Any) -> Any:
    """Tag values may be written as numbers or booleans in YAML; Dagster tag values are strings."""
    value = context.resolve_value(value)
    if isinstance(value, Mapping):
        return {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in value.items()}
    return value


def _doc(description: str, examples: list[Any] | None = None) -> Resolver:
    return Resolver.default(description=description, examples=examples)


ProjectPaths = Annotated[
    str | list[str] | None,
    Resolver(
        _resolve_paths,
        model_field_type=str | list[str] | None,
        inject_before_resolve=False,  # the resolver renders templates itself
        description="The SQLMesh project folder (with config.yaml or config.py), relative to this "
        "defs.yaml's folder unless absolute; a list of folders for a multi-repo SQLMesh project.",
        examples=["../../../../sqlmesh_project", "{{ context.project_root }}/sqlmesh_project"],
    ),
]


def _path(description: str, examples: list[Any] | None = None) -> Resolver:
    return Resolver(
        _resolve_path,
        model_field_type=str | None,
        inject_before_resolve=False,
        description=f"{description} Relative to this defs.yaml's folder unless absolute.",
        examples=examples,
    )


# --- nested attribute groups ----------------------------------------------------------------------


@dataclass
class SQLMeshConfigArgs(Resolvable):
    """dg-sqlmesh 1.x's ``sqlmesh_config`` block: ``project_path``, ``gateway``, ``environment``."""

    project_path: Annotated[
        str,
        Resolver(
            _resolve_path,
            model_field_type=str,
            inject_before_resolve=False,
            description="The SQLMesh project folder (same as `project`).",
        ),
    ]
    gateway: Annotated[str | None, _doc("SQLMesh gateway (same as `gateway`).")] = None
    environment: Annotated[str | None, _doc("SQLMesh environment (same as `environment`).")] = None


DEFAULT_FRESHNESS_LAG_MINUTES = 60
"""The translator's default ``freshness_lag`` (one hour), in the component's minutes."""


@dataclass
class SQLMeshTranslationArgs(Resolvable):
    """How every model's asset is described, on top of the default translation."""

    key_prefix: Annotated[
        str | list[str] | None,
        _doc(
            "Prepended to every model's asset key (not to external tables'): a string (split on '/') "
            "or a list of key parts.",
            ["warehouse", ["analytics", "sqlmesh"]],
        ),
    ] = None
    group_name: Annotated[
        str | None,
        _doc(
            "Group of every model without a `dagster:group_name:<g>` tag (default: the model's "
            "schema), and of the external tables.",
            ["sqlmesh"],
        ),
    ] = None
    tags: Annotated[
        dict[str, str] | None,
        Resolver(
            _resolve_tags,
            model_field_type=dict[str, str | int | float | bool] | None,
            inject_before_resolve=False,
            description="Dagster tags added to every model's asset (they win over same-named SQLMesh tags).",
            examples=[{"team": "analytics"}],
        ),
    ] = None
    enable_asset_checks: Annotated[
        bool, _doc("Declare one asset check per SQLMesh audit use (default true).")
    ] = True
    freshness_lag_minutes: Annotated[
        int | None,
        _doc(
            "Minutes after its cron's longest gap between ticks a model counts as overdue (its "
            "freshness policy; default 60); null: no freshness policies.",
            [60, None],
        ),
    ] = DEFAULT_FRESHNESS_LAG_MINUTES


# --- translator -----------------------------------------------------------------------------------


class SQLMeshComponentTranslator(SQLMeshTranslator):
    """The default translation plus the component's ``translation`` options: a key prefix on every
    model key and extra tags on every model; external tables keyed by ``external_asset_mapping``
    when it is given."""

    def __init__(
        self,
        *,
        key_prefix: Sequence[str] = (),
        tags: Mapping[str, str] | None = None,
        external_asset_mapping: str | None = None,
        settings: SQLMeshTranslatorSettings | None = None,
    ) -> None:
        super().__init__(settings)
        self.key_prefix = list(key_prefix)
        self.extra_tags = dict(tags or {})
        self._external: SQLMeshTranslator | None = None
        if external_asset_mapping is not None:
            from .external_mapping import ExternalAssetMappingTranslator

            self._external = ExternalAssetMappingTranslator(external_asset_mapping)

    def get_asset_key(self, model: ManifestModel) -> AssetKey:
        key = super().get_asset_key(model)
        return key.with_prefix(self.key_prefix) if self.key_prefix else key

    def get_tags(self, context: SQLMeshTranslationContext, model: ManifestModel) -> Mapping[str, str]:
        return {**super().get_tags(context, model), **self.extra_tags}

    def get_external_asset_key(self, external_fqn: str) -> AssetKey:
        if self._external is not None:
            return self._external.get_external_asset_key(external_fqn)
        return super().get_external_asset_key(external_fqn)


# --- the component --------------------------------------------------------------------------------


@scaffold_with(SQLMeshProjectComponentScaffolder)
@dataclass
class SQLMeshProjectComponent(Component, Resolvable):
    """A SQLMesh project as Dagster assets, run by the sqlmesh-pipes executor over Dagster Pipes.

    Models become assets, audits asset checks, external models assets of their own.
    With them: the `sqlmesh` resource, a job of all models and the adaptive schedule (created stopped).

    Scaffold: `dg scaffold defs sqlmesh_pipes.SQLMeshProjectComponent NAME --project-path DIR`.
    dg-sqlmesh 1.x's names (`sqlmesh_config`, `concurrency_jobs_limit`, `default_group_name`) work too.
    """

    project: ProjectPaths = None
    gateway: Annotated[
        str | None, _doc("SQLMesh gateway; default: the project's default gateway.", ["local"])
    ] = None
    environment: Annotated[
        str | None, _doc("SQLMesh environment to run (`sqlmesh run <environment>`); default prod.", ["prod"])
    ] = None
    sqlmesh_python: Annotated[
        str | None,
        Resolver(
            _resolve_python,
            model_field_type=str | None,
            inject_before_resolve=False,
            description="Python of the SQLMesh environment (a path, relative to this defs.yaml's folder, "
            "or a command); default: the project's .venv, the `sqlmesh` on PATH, else the executor's.",
            examples=["../../../../.venv/bin/python"],
        ),
    ] = None
    manifest_path: Annotated[
        str | None,
        _path("Manifest JSON (`sqlmesh-pipes manifest`); default <project>/sqlmesh-pipes-manifest.json."),
    ] = None
    enable_schedule: Annotated[
        bool, _doc("Create the adaptive schedule (stopped); default true.", [True, False])
    ] = True
    schedule_name: Annotated[
        str | None, _doc("Name of the adaptive schedule; default sqlmesh_adaptive_schedule.")
    ] = None
    job_name: Annotated[str | None, _doc("Name of the job of all models; default sqlmesh_job.")] = None
    concurrency_limit: Annotated[
        int | None,
        _doc("How many models SQLMesh evaluates at once (concurrent_tasks); default: the gateway's.", [4]),
    ] = None
    op_tags: Annotated[
        dict[str, Any] | None, _doc("Tags of the step that runs SQLMesh.", [{"team": "data"}])
    ] = None
    owners: Annotated[
        list[str] | None,
        _doc("Owners added to every model's asset: e-mails or 'team:<name>'.", [["team:analytics"]]),
    ] = None
    external_asset_mapping: Annotated[
        str | None,
        _doc(
            "Asset key of each external table, as key parts separated by '/', with {node.database}, "
            "{node.schema}, {node.name}, {node.fqn}.",
            ["target/main/{node.name}", "sling/{node.schema}/{node.name}"],
        ),
    ] = None
    ignore_cron: Annotated[
        bool, _doc("Run models even when their cron says they are not due (`--ignore-cron`).")
    ] = False
    fetch_row_counts: Annotated[
        bool, _doc("Count each materialized model's rows (one COUNT(*) per model) for `dagster/row_count`.")
    ] = False
    time_partitions: Annotated[
        bool | str,
        _doc(
            "Time-window partitions for INCREMENTAL_BY_TIME_RANGE models: true (their interval units) "
            "or one unit (`day`, `hour`, ...).",
            [True, "day"],
        ),
    ] = False
    pool: Annotated[str | None, _doc("Dagster concurrency pool of the SQLMesh step.")] = None
    translation: Annotated[
        SQLMeshTranslationArgs | None,
        Resolver.default(description="Key prefix, group and tags of the models' assets."),
    ] = None
    executor_path: Annotated[
        str | None,
        _path(
            "The sqlmesh-pipes executor (dist/cli.js); default $SQLMESH_PIPES_EXECUTOR, else this checkout's."
        ),
    ] = None
    node_executable: Annotated[
        str | None, _doc("Node.js (>= 20) that runs the executor; default `node`.")
    ] = None
    # dg-sqlmesh 1.x's spellings.
    sqlmesh_config: Annotated[
        SQLMeshConfigArgs | None,
        Resolver.default(
            description="dg-sqlmesh's spelling of `project`, `gateway` and `environment`.",
            examples=[{"project_path": "../sqlmesh_project", "gateway": "local", "environment": "prod"}],
        ),
    ] = None
    concurrency_jobs_limit: Annotated[int | None, _doc("dg-sqlmesh's spelling of `concurrency_limit`.")] = (
        None
    )
    default_group_name: Annotated[str | None, _doc("dg-sqlmesh's spelling of `translation.group_name`.")] = (
        None
    )

    @classmethod
    def get_spec(cls) -> ComponentTypeSpec:
        # The summary and description `dg` shows come from the class docstring.
        return ComponentTypeSpec(
            tags=["sqlmesh"],
            produces=["asset", "asset_check", "job", "schedule", "resource"],
        )

    def __post_init__(self) -> None:
        self._check_types()
        config = self.sqlmesh_config
        for ours, theirs, ours_set, theirs_set in (
            ("project", "sqlmesh_config.project_path", self.project is not None, config is not None),
            (
                "gateway",
                "sqlmesh_config.gateway",
                self.gateway is not None,
                config is not None and config.gateway is not None,
            ),
            (
                "environment",
                "sqlmesh_config.environment",
                self.environment is not None,
                config is not None and config.environment is not None,
            ),
            (
                "concurrency_limit",
                "concurrency_jobs_limit",
                self.concurrency_limit is not None,
                self.concurrency_jobs_limit is not None,
            ),
            (
                "translation.group_name",
                "default_group_name",
                self.translation is not None and self.translation.group_name is not None,
                self.default_group_name is not None,
            ),
        ):
            if ours_set and theirs_set:
                raise errors.SQLMeshPipesDefinitionError(
                    errors.COMPONENT_BOTH_SPELLINGS.format(component=COMPONENT, ours=ours, theirs=theirs)
                )
        if not self.project_dirs:
            raise errors.SQLMeshPipesDefinitionError(errors.COMPONENT_NO_PROJECT.format(component=COMPONENT))

    def _check_types(self) -> None:
        """Every attribute may be a template string, so Dagster's schema lets strings through for
        any of them: check what they rendered to."""

        def bad(key: str, value: Any, expected: str, fix: str) -> errors.SQLMeshPipesDefinitionError:
            return errors.SQLMeshPipesDefinitionError(
                errors.COMPONENT_BAD_ATTRIBUTE.format(
                    component=COMPONENT,
                    key=key,
                    expected=expected,
                    value=value,
                    type_name=type(value).__name__,
                    fix=fix,
                )
            )

        if isinstance(self.project, os.PathLike):  # `project: "{{ context.project_root }}"`
            self.project = os.fspath(self.project)
        project = self.project
        if project is not None:
            items = project if isinstance(project, list) else [project]
            if (
                not isinstance(project, (str, list))
                or not items
                or not all(isinstance(p, str) and p.strip() for p in items)
            ):
                raise bad(
                    "project",
                    project,
                    "a folder path or a non-empty list of folder paths",
                    "e.g. `project: ../sqlmesh_project`",
                )
        config = self.sqlmesh_config
        if config is not None:
            if isinstance(config.project_path, os.PathLike):
                config.project_path = os.fspath(config.project_path)
            if not isinstance(config.project_path, str) or not config.project_path.strip():
                raise bad(
                    "sqlmesh_config.project_path",
                    config.project_path,
                    "a folder path",
                    "e.g. `project_path: ../sqlmesh_project`",
                )
            for key in ("gateway", "environment"):
                value = getattr(config, key)
                if value is not None and (not isinstance(value, str) or not value.strip()):
                    raise bad(
                        f"sqlmesh_config.{key}", value, "a non-empty string", f"set `{key}` or leave it out"
                    )
        for key in ("concurrency_limit", "concurrency_jobs_limit"):
            value = getattr(self, key)
            if value is not None and (type(value) is not int or value < 1):
                raise bad(key, value, "a whole number >= 1", f"e.g. `{key}: 4`, or leave it out")
        for key in ("enable_schedule", "ignore_cron", "fetch_row_counts"):
            value = getattr(self, key)
            if not isinstance(value, bool):
                raise bad(key, value, "true or false", f"write `{key}: true` or `{key}: false`")
        if not isinstance(self.time_partitions, bool) and self.time_partitions not in UNITS:
            raise bad(
                "time_partitions",
                self.time_partitions,
                f"true, false or one of {', '.join(UNITS)}",
                "write `time_partitions: true` or e.g. `time_partitions: day`",
            )
        for key in (
            "gateway",
            "environment",
            "sqlmesh_python",
            "manifest_path",
            "schedule_name",
            "job_name",
            "external_asset_mapping",
            "pool",
            "executor_path",
            "node_executable",
            "default_group_name",
        ):
            value = getattr(self, key)
            if isinstance(value, os.PathLike):
                value = os.fspath(value)
                setattr(self, key, value)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise bad(key, value, "a non-empty string", f"set `{key}` or leave it out")
        if self.op_tags is not None and not isinstance(self.op_tags, Mapping):
            raise bad("op_tags", self.op_tags, "a mapping", "e.g. `op_tags: {team: data}`")
        if self.owners is not None and (
            not isinstance(self.owners, list) or not all(isinstance(o, str) for o in self.owners)
        ):
            raise bad("owners", self.owners, "a list of strings", "e.g. `owners: [team:analytics]`")
        translation = self.translation
        if translation is not None:
            prefix = translation.key_prefix
            if prefix is not None and not (
                (isinstance(prefix, str) and prefix.strip("/ "))
                or (isinstance(prefix, list) and prefix and all(isinstance(p, str) and p for p in prefix))
            ):
                raise bad(
                    "translation.key_prefix",
                    prefix,
                    "a string or a list of key parts",
                    "e.g. `key_prefix: warehouse` or `key_prefix: [analytics, sqlmesh]`",
                )
            if translation.group_name is not None and not isinstance(translation.group_name, str):
                raise bad(
                    "translation.group_name", translation.group_name, "a string", "e.g. `group_name: sqlmesh`"
                )
            if translation.tags is not None and not isinstance(translation.tags, Mapping):
                raise bad("translation.tags", translation.tags, "a mapping", "e.g. `tags: {team: data}`")
            lag = translation.freshness_lag_minutes
            if lag is not None and (isinstance(lag, bool) or not isinstance(lag, int) or lag < 0):
                raise bad(
                    "translation.freshness_lag_minutes",
                    lag,
                    "a whole number of minutes >= 0, or null",
                    "e.g. `freshness_lag_minutes: 90`, or null for no freshness policies",
                )
            if not isinstance(translation.enable_asset_checks, bool):
                raise bad(
                    "translation.enable_asset_checks",
                    translation.enable_asset_checks,
                    "true or false",
                    "write `enable_asset_checks: false` to declare no asset checks",
                )

    # --- effective settings (either spelling) ----------------------------------------------------

    @property
    def project_dirs(self) -> list[str]:
        """The SQLMesh project folder(s), from ``project`` or ``sqlmesh_config.project_path``."""
        if self.project is not None:
            return list(self.project) if isinstance(self.project, list) else [self.project]
        if self.sqlmesh_config is not None:
            return [os.fspath(self.sqlmesh_config.project_path)]
        return []

    @property
    def effective_gateway(self) -> str | None:
        return self.gateway or (self.sqlmesh_config.gateway if self.sqlmesh_config else None)

    @property
    def effective_environment(self) -> str | None:
        return self.environment or (self.sqlmesh_config.environment if self.sqlmesh_config else None)

    @property
    def effective_concurrency_limit(self) -> int | None:
        return self.concurrency_limit if self.concurrency_limit is not None else self.concurrency_jobs_limit

    @property
    def effective_group_name(self) -> str | None:
        if self.translation is not None and self.translation.group_name is not None:
            return self.translation.group_name
        return self.default_group_name

    def get_translator(self) -> SQLMeshTranslator | None:
        """The translator handed to the factory; None (the factory's default) when no ``translation``
        option needs one. Override in a subclass to translate differently."""
        t = self.translation
        if t is None or (
            t.key_prefix is None
            and not t.tags
            and t.enable_asset_checks
            and t.freshness_lag_minutes == DEFAULT_FRESHNESS_LAG_MINUTES
        ):
            return None
        prefix = t.key_prefix
        if isinstance(prefix, str):
            prefix = [part for part in prefix.split("/") if part.strip()]
        return SQLMeshComponentTranslator(
            key_prefix=prefix or (),
            tags=t.tags,
            external_asset_mapping=self.external_asset_mapping,
            settings=SQLMeshTranslatorSettings(
                enable_asset_checks=t.enable_asset_checks,
                freshness_lag=None
                if t.freshness_lag_minutes is None
                else timedelta(minutes=t.freshness_lag_minutes),
            ),
        )

    def factory_kwargs(self) -> dict[str, Any]:
        """The keyword arguments this component passes to ``sqlmesh_definitions_factory``."""
        dirs = self.project_dirs
        key = "project" if self.project is not None else "sqlmesh_config.project_path"
        for path in dirs:
            if not Path(path).is_dir():
                raise errors.SQLMeshPipesDefinitionError(
                    errors.COMPONENT_PROJECT_NOT_A_DIRECTORY.format(component=COMPONENT, key=key, path=path)
                )
        translator = self.get_translator()
        kwargs: dict[str, Any] = {
            "project_dir": dirs[0] if len(dirs) == 1 else dirs,
            "enable_schedule": self.enable_schedule,
            "ignore_cron": self.ignore_cron,
            "fetch_row_counts": self.fetch_row_counts,
            "time_partitions": self.time_partitions,
        }
        optional = {
            "gateway": self.effective_gateway,
            "environment": self.effective_environment,
            "concurrency_limit": self.effective_concurrency_limit,
            "group_name": self.effective_group_name,
            "translator": translator,
            "sqlmesh_python": self.sqlmesh_python,
            "manifest_path": self.manifest_path,
            "schedule_name": self.schedule_name,
            "job_name": self.job_name,
            "op_tags": self.op_tags,
            "owners": self.owners,
            "pool": self.pool,
            "executor_path": self.executor_path,
            "node_executable": self.node_executable,
            # Ours applies the mapping itself; next to another translator the factory warns it is ignored.
            "external_asset_mapping": None
            if isinstance(translator, SQLMeshComponentTranslator)
            else self.external_asset_mapping,
        }
        kwargs.update({k: v for k, v in optional.items() if v is not None})
        return kwargs

    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        return sqlmesh_definitions_factory(**self.factory_kwargs())
