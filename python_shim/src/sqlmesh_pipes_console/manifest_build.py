"""Build the sqlmesh-pipes manifest (src/contracts/manifest.ts) from a loaded SQLMesh Context.

Pure conversion: SQLMesh objects in, the generated contract dataclasses out (a missing or
misspelt field fails here, not in a reader). Runs in the SQLMesh env: never imports dagster.
"""

from __future__ import annotations

import ast
import enum
import typing as t
from datetime import datetime, timezone
from pathlib import Path

from sqlglot import exp

from sqlmesh_pipes_console.cron_period import cron_period_seconds
from sqlmesh_pipes_console.lineage import column_lineage
from sqlmesh_pipes_console.project_files import (
    ProjectDirs,
    project_dirs,
    project_fingerprint,
    working_directory,
)
from sqlmesh_pipes_contracts import (
    Manifest,
    ManifestAudit,
    ManifestColumn,
    ManifestExternalModel,
    ManifestModel,
    ManifestStandaloneAudit,
)

if t.TYPE_CHECKING:
    from sqlmesh import Context
    from sqlmesh.core.model import Model

# Kind fields that repeat model-level facts or carry no information for a reader.
_KIND_FIELDS_SKIPPED = {"name", "dialect"}


def build_manifest(
    context: Context, project_dir: ProjectDirs, *, exclude: t.Sequence[str] = (), lineage: bool = True
) -> Manifest:
    """The whole manifest of a loaded Context: models and external models sorted by FQN, and the
    fingerprint of the project's files (``exclude``: files that are not the project's, e.g. the
    manifest itself). ``project_dir``: the directory the Context was loaded from, or the list of a
    multi-repo project's, in load order. ``lineage=False`` leaves column lineage out (null)."""
    import sqlmesh

    dirs = project_dirs(project_dir)
    # Seed paths are relative to the project, or to the common parent of a multi-repo project's.
    root = working_directory(dirs)

    models: list[ManifestModel] = []
    external_models: list[ManifestExternalModel] = []
    fingerprint = _fingerprinter(context)
    for fqn in sorted(context.models):
        model = context.models[fqn]
        if model.kind.is_external:
            external_models.append(external_model_entry(model))
        else:
            # EMBEDDED models stay in this list (kind "EMBEDDED"): never evaluated on their own,
            # but project models a reader may want to show.
            models.append(
                model_entry(model, root, fingerprint(model), context.default_catalog, lineage=lineage)
            )
    standalone_audits = [
        standalone_audit_entry(audit, fingerprint(audit))
        for _, audit in sorted(context.standalone_audits.items())
        if not getattr(audit, "skip", False)
    ]

    return Manifest(
        sqlmesh_version=sqlmesh.__version__,
        generated_at=datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        project_dirs=tuple(str(d) for d in dirs),
        project_fingerprint=project_fingerprint(dirs, exclude=exclude),
        # A config without named gateways has the gateway "" — report that as "no gateway".
        gateway=context.selected_gateway or None,
        default_catalog=context.default_catalog,
        dialect=context.default_dialect or "",
        models=tuple(models),
        external_models=tuple(external_models),
        standalone_audits=tuple(standalone_audits),
    )


def _fingerprinter(context: Context) -> t.Callable[[t.Any], str | None]:
    """The snapshot identifier SQLMesh would give each node of this project (no state read).

    The same value the run's console sees on its snapshots (`snapshot.identifier`): it changes with
    the node's query, its metadata (cron, audits, description) and its parents', so a manifest
    that no longer matches what SQLMesh runs is detected at run time.
    """
    try:
        from sqlmesh.core.snapshot.definition import fingerprint_from_node
    except ImportError:  # pragma: no cover - another SQLMesh version
        return lambda node: None
    nodes = {**context.models, **context.standalone_audits}
    cache: dict[str, t.Any] = {}

    def fingerprint(node: t.Any) -> str | None:
        try:
            return str(fingerprint_from_node(node, nodes=nodes, cache=cache).to_identifier())
        except Exception:  # noqa: BLE001 - staleness detection is best effort
            return None

    return fingerprint


def model_entry(
    model: Model,
    project_dir: Path | None = None,
    fingerprint: str | None = None,
    default_catalog: str | None = None,
    *,
    lineage: bool = True,
) -> ManifestModel:
    """One project model (seed paths made relative to `project_dir`; upstream tables in its column
    lineage qualified with `default_catalog`, as SQLMesh qualifies model names)."""
    dialect = model.dialect
    return ManifestModel(
        name=model.name,
        fqn=model.fqn,
        **_table_parts(model.fqn),
        kind=model.kind.name.value if isinstance(model.kind.name, enum.Enum) else str(model.kind.name),
        kind_details=kind_details(model, project_dir),
        start=model_start(model),
        end=model_end(model),
        cron=str(model.cron),
        cron_period_seconds=cron_period_seconds(str(model.cron), cron_tz(model)),
        cron_tz=cron_tz(model),
        interval_unit=model.interval_unit.value if model.interval_unit else None,
        allow_partials=bool(model.allow_partials),
        tags=tuple(model.tags),
        owner=model.owner or None,
        description=model.description or python_model_docstring(model),
        columns=columns(model),
        depends_on=tuple(sorted(model.depends_on)),
        audits=audits(model),
        data_hash=model.data_hash,
        fingerprint=fingerprint,
        partitioned_by=tuple(sql_text(e, dialect) for e in model.partitioned_by),
        clustered_by=tuple(sql_text(e, dialect) for e in (model.clustered_by or [])),
        grains=tuple(sql_text(e, dialect) for e in model.grains),
        dialect=dialect,
        query=model_query(model),
        source_path=source_path(model, project_dir),
        column_lineage=column_lineage(model, default_catalog) if lineage else None,
    )


def model_start(model: Model) -> str | None:
    """The model's start as ISO-8601 UTC (a relative start resolved now, as SQLMesh does)."""
    from sqlmesh.utils.date import to_datetime

    return _utc_iso(model.start, to_datetime)


def model_end(model: Model) -> str | None:
    """The model's end, exclusive as SQLMesh bounds intervals with it (``make_exclusive``: a date
    end includes that whole day), as ISO-8601 UTC."""
    from sqlmesh.utils.date import make_exclusive

    return _utc_iso(model.end, make_exclusive)


def _utc_iso(value: t.Any, convert: t.Callable[[t.Any], datetime]) -> str | None:
    if value is None:
        return None
    try:
        return convert(value).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except Exception:  # noqa: BLE001 - an unreadable date is SQLMesh's to report, not ours
        return None


def cron_tz(node: t.Any) -> str | None:
    """The node's cron time zone as an IANA name; None for UTC (SQLMesh's default)."""
    zone = getattr(node, "cron_tz", None)
    if zone is None:
        return None
    name = str(getattr(zone, "key", zone))
    return None if name == "UTC" else name


def source_path(model: Model, project_dir: Path | None) -> str | None:
    """The model's file relative to `project_dir` (absolute when outside it or no dir is given)."""
    path = getattr(model, "_path", None)
    if path is None:
        return None
    absolute = Path(path).resolve()
    if project_dir is not None and absolute.is_relative_to(project_dir.resolve()):
        return absolute.relative_to(project_dir.resolve()).as_posix()
    return absolute.as_posix()


def python_model_docstring(model: Model) -> str | None:
    """The docstring of a Python model's function, read from its file: SQLMesh keeps the function's
    code without it."""
    entrypoint = getattr(model, "entrypoint", None)
    path = getattr(model, "_path", None)
    if not entrypoint or path is None:
        return None
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == entrypoint:
            return ast.get_docstring(node) or None
    return None


def external_model_entry(model: Model) -> ManifestExternalModel:
    """One external model (external_models.yaml)."""
    return ManifestExternalModel(
        name=model.name,
        fqn=model.fqn,
        **_table_parts(model.fqn),
        description=model.description or None,
        cron=str(model.cron),
        cron_tz=cron_tz(model),
        columns=columns(model),
        audits=audits(model),
    )


def standalone_audit_entry(audit: t.Any, fingerprint: str | None) -> ManifestStandaloneAudit:
    """A standalone audit (audits/*.sql with `standalone true`, dbt relationship/singular tests)."""
    return ManifestStandaloneAudit(
        name=audit.name,
        depends_on=tuple(sorted(audit.depends_on)),
        cron=str(audit.cron),
        cron_tz=cron_tz(audit),
        description=getattr(audit, "description", None) or None,
        fingerprint=fingerprint,
    )


def columns(model: Model) -> tuple[ManifestColumn, ...]:
    """Columns in query order with their types; described-but-untyped columns come last, untyped."""
    types = model.columns_to_types or {}
    descriptions = model.column_descriptions
    result = [
        ManifestColumn(
            name=name, type=_type_sql(data_type, model.dialect), description=descriptions.get(name)
        )
        for name, data_type in types.items()
    ]
    # A model whose columns SQLMesh cannot infer (SELECT *, some Python models) may still
    # document columns; keep those descriptions rather than dropping them.
    result.extend(
        ManifestColumn(name=name, type=None, description=text)
        for name, text in descriptions.items()
        if name not in types
    )
    return tuple(result)


def audits(model: Model) -> tuple[ManifestAudit, ...]:
    """Audits attached to the model, with arguments rendered as SQL and the effective blocking flag.

    Their order is the audit index the run's console reports (json_console.audit_index).
    """
    return tuple(
        ManifestAudit(name=name, args=rendered, blocking=blocking)
        for name, rendered, blocking in audit_uses(model)
    )


def audit_uses(model: t.Any) -> list[tuple[str, dict[str, str], bool]]:
    """(name, arguments as SQL text, blocking) of each audit SQLMesh evaluates for `model`."""
    dialect = getattr(model, "dialect", "") or ""
    result = []
    for audit, args in model.audits_with_args:
        # SQLMesh never evaluates a `skip true` audit (its result says skipped, yet the run counts
        # it as passed): no check at all is the truthful mapping.
        if getattr(audit, "skip", False):
            continue
        args = dict(args)
        # Same precedence as SQLMesh's evaluator: a model-level `blocking := ...` argument
        # overrides the audit's own setting (`*_non_blocking` built-ins default to false).
        blocking_arg = args.pop("blocking", None)
        blocking = blocking_arg == exp.true() if blocking_arg is not None else bool(audit.blocking)
        result.append((audit.name, {key: sql_text(value, dialect) for key, value in args.items()}, blocking))
    return result


def kind_details(model: Model, project_dir: Path | None = None) -> dict[str, t.Any]:
    """The kind's own settings (batch_size, time_column, unique_key, lookback, ...), unset ones left out."""
    kind = model.kind
    details: dict[str, t.Any] = {}
    for field in type(kind).model_fields:
        if field in _KIND_FIELDS_SKIPPED:
            continue
        value = _jsonable(getattr(kind, field, None), model.dialect)
        if value is None or value == [] or value == {}:
            continue
        details[field] = value
    seed_path = details.get("path")
    model_path = getattr(model, "_path", None)
    if kind.is_seed and isinstance(seed_path, str) and model_path and project_dir:
        # SQLMesh resolves a seed path against the model file; readers know only the project.
        absolute = (Path(model_path).parent / seed_path).resolve()
        if absolute.is_relative_to(project_dir):
            details["path"] = absolute.relative_to(project_dir).as_posix()
    return details


def model_query(model: Model) -> str | None:
    """The query as the project writes it (macros such as ``@start_ds`` kept), formatted; None for
    seeds and Python models. Not rendered: offline rendering fills time macros with 1970 bounds."""
    from sqlmesh.core.model import SqlModel

    if not isinstance(model, SqlModel):
        return None
    try:
        # copy=False: nothing reads the expression after us, and the copy doubled the time on 1000 models.
        return model.query.sql(dialect=model.dialect, pretty=True, copy=False)
    except Exception:  # noqa: BLE001 - a query sqlglot cannot print back is left out, not an error
        return None


def _table_parts(fqn: str) -> dict[str, t.Any]:
    """``catalog`` (or None), ``schema`` and ``table`` of a quoted FQN, as SQLMesh's parser splits it."""
    table = exp.to_table(fqn)
    return {"catalog": table.catalog or None, "schema": table.db, "table": table.name}


def _type_sql(data_type: exp.DataType | None, dialect: str) -> str | None:
    # UNKNOWN means SQLMesh could not infer the type offline; say so with null, not "UNKNOWN".
    if data_type is None or data_type.is_type(exp.DataType.Type.UNKNOWN):
        return None
    return data_type.sql(dialect=dialect, copy=False)


def sql_text(expression: exp.Expr, dialect: str) -> str:
    """SQL text of an expression, without the quotes SQLMesh's normalisation adds to plain identifiers."""
    if isinstance(expression, exp.Column) and not expression.table:
        return expression.name
    unquoted = expression.copy()
    for identifier in unquoted.find_all(exp.Identifier):
        if identifier.quoted and exp.SAFE_IDENTIFIER_RE.match(identifier.name):
            identifier.set("quoted", False)
    return unquoted.sql(dialect=dialect)


def _jsonable(value: t.Any, dialect: str) -> t.Any:
    """Kind field value → JSON: expressions as SQL text, enums by value, nested models as dicts."""
    from sqlmesh.core.model.kind import TimeColumn
    from sqlmesh.utils.pydantic import PydanticModel

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, TimeColumn):
        return {"column": sql_text(value.column, dialect), "format": value.format}
    if isinstance(value, exp.Expr):
        return sql_text(value, dialect)
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(item, dialect) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item, dialect) for key, item in value.items()}
    if isinstance(value, PydanticModel):
        return {key: _jsonable(item, dialect) for key, item in value.model_dump(mode="json").items()}
    return str(value)
