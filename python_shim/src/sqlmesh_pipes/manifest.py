"""The SQLMesh project manifest, as read by the Dagster code location.

Mirrors ``src/sqlmesh/manifest-schema.ts`` (the source of truth) and is just as strict: a
missing or unknown key is an error, so the producer and both readers stay in step. Reading is
plain ``json`` plus one pass of key/type checks, with no per-model work beyond that: a
1000-model manifest loads in milliseconds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from . import errors

MANIFEST_VERSION = 2
"""The manifest_version this package reads (``MANIFEST_VERSION`` in manifest-schema.ts)."""


@dataclass(frozen=True, slots=True)
class ManifestColumn:
    name: str
    type: str | None
    description: str | None


@dataclass(frozen=True, slots=True)
class ManifestAudit:
    """One audit use on a model. Its position in ``ManifestModel.audits`` is its ``audit_index``."""

    name: str
    args: Mapping[str, str]
    """Arguments rendered as SQL text."""
    blocking: bool


@dataclass(frozen=True, slots=True)
class ManifestModel:
    """A SQLMesh model (every kind except EXTERNAL, which are in ``Manifest.external_models``)."""

    name: str
    """SQLMesh model name as written in the project, e.g. ``sushi.orders``."""
    fqn: str
    """Fully qualified and quoted: ``"db"."sushi"."orders"``."""
    catalog: str | None
    schema: str
    table: str
    kind: str
    kind_details: Mapping[str, Any]
    cron: str
    interval_unit: str | None
    tags: Sequence[str]
    owner: str | None
    description: str | None
    columns: Sequence[ManifestColumn]
    depends_on: Sequence[str]
    """FQNs of upstream models and external models."""
    audits: Sequence[ManifestAudit]
    data_hash: str
    fingerprint: str | None
    """SQLMesh's snapshot identifier for this definition (null if it could not be computed)."""
    partitioned_by: Sequence[str]
    clustered_by: Sequence[str]
    grains: Sequence[str]
    dialect: str
    query: str | None


@dataclass(frozen=True, slots=True)
class ManifestExternalModel:
    name: str
    fqn: str
    catalog: str | None
    schema: str
    table: str
    description: str | None
    columns: Sequence[ManifestColumn]
    audits: Sequence[ManifestAudit]
    """Audits SQLMesh runs on the external table (reported as checks on the external asset)."""


@dataclass(frozen=True, slots=True)
class ManifestStandaloneAudit:
    """A standalone audit: its own node in SQLMesh's DAG, never blocking."""

    name: str
    depends_on: Sequence[str]
    """FQNs of the models and external models it queries."""
    cron: str
    description: str | None
    fingerprint: str | None


@dataclass(frozen=True)
class Manifest:
    manifest_version: int
    sqlmesh_version: str
    generated_at: str
    project_dir: str
    gateway: str | None
    default_catalog: str | None
    dialect: str
    models: Sequence[ManifestModel]
    external_models: Sequence[ManifestExternalModel]
    standalone_audits: Sequence[ManifestStandaloneAudit]
    path: str | None = None
    """Where it was read from (not part of the JSON)."""

    @cached_property
    def models_by_fqn(self) -> Mapping[str, ManifestModel]:
        return {model.fqn: model for model in self.models}

    @cached_property
    def models_by_name(self) -> Mapping[str, ManifestModel]:
        return {model.name: model for model in self.models}

    @cached_property
    def external_models_by_fqn(self) -> Mapping[str, ManifestExternalModel]:
        return {model.fqn: model for model in self.external_models}


# --- parsing --------------------------------------------------------------------------------------

_COLUMN_KEYS = frozenset({"name", "type", "description"})
_AUDIT_KEYS = frozenset({"name", "args", "blocking"})
_MODEL_KEYS = frozenset(
    {
        "name",
        "fqn",
        "catalog",
        "schema",
        "table",
        "kind",
        "kind_details",
        "cron",
        "interval_unit",
        "tags",
        "owner",
        "description",
        "columns",
        "depends_on",
        "audits",
        "data_hash",
        "fingerprint",
        "partitioned_by",
        "clustered_by",
        "grains",
        "dialect",
        "query",
    }
)
_EXTERNAL_KEYS = frozenset({"name", "fqn", "catalog", "schema", "table", "description", "columns", "audits"})
_STANDALONE_KEYS = frozenset({"name", "depends_on", "cron", "description", "fingerprint"})
_MANIFEST_KEYS = frozenset(
    {
        "manifest_version",
        "sqlmesh_version",
        "generated_at",
        "project_dir",
        "gateway",
        "default_catalog",
        "dialect",
        "models",
        "external_models",
        "standalone_audits",
    }
)


class _ShapeError(Exception):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


def _object(value: Any, keys: frozenset[str], where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _ShapeError(where, f"expected an object, got {type(value).__name__}")
    if value.keys() != keys:
        missing = sorted(keys - value.keys())
        unknown = sorted(value.keys() - keys)
        parts = []
        if missing:
            parts.append(f"missing key(s) {missing}")
        if unknown:
            parts.append(f"unknown key(s) {unknown}")
        raise _ShapeError(where, " and ".join(parts))
    return value


def _str(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj[key]
    if not isinstance(value, str):
        raise _ShapeError(f"{where}.{key}", f"expected a string, got {value!r}")
    return value


def _opt_str(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = obj[key]
    if value is not None and not isinstance(value, str):
        raise _ShapeError(f"{where}.{key}", f"expected a string or null, got {value!r}")
    return value


def _str_list(obj: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = obj[key]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _ShapeError(f"{where}.{key}", f"expected a list of strings, got {value!r}")
    return tuple(value)


def _dict(obj: Mapping[str, Any], key: str, where: str, *, str_values: bool = False) -> dict[str, Any]:
    value = obj[key]
    if not isinstance(value, dict) or (str_values and not all(isinstance(v, str) for v in value.values())):
        expected = "an object of strings" if str_values else "an object"
        raise _ShapeError(f"{where}.{key}", f"expected {expected}, got {value!r}")
    return value


def _list(obj: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = obj[key]
    if not isinstance(value, list):
        raise _ShapeError(f"{where}.{key}", f"expected a list, got {value!r}")
    return value


def _columns(obj: Mapping[str, Any], where: str) -> tuple[ManifestColumn, ...]:
    columns = []
    for i, raw in enumerate(_list(obj, "columns", where)):
        at = f"{where}.columns[{i}]"
        col = _object(raw, _COLUMN_KEYS, at)
        columns.append(
            ManifestColumn(_str(col, "name", at), _opt_str(col, "type", at), _opt_str(col, "description", at))
        )
    return tuple(columns)


def _audits(obj: Mapping[str, Any], where: str) -> tuple[ManifestAudit, ...]:
    audits = []
    for i, raw in enumerate(_list(obj, "audits", where)):
        at = f"{where}.audits[{i}]"
        audit = _object(raw, _AUDIT_KEYS, at)
        blocking = audit["blocking"]
        if not isinstance(blocking, bool):
            raise _ShapeError(f"{at}.blocking", f"expected a boolean, got {blocking!r}")
        audits.append(
            ManifestAudit(_str(audit, "name", at), _dict(audit, "args", at, str_values=True), blocking)
        )
    return tuple(audits)


def _model(raw: Any, where: str) -> ManifestModel:
    m = _object(raw, _MODEL_KEYS, where)
    return ManifestModel(
        name=_str(m, "name", where),
        fqn=_str(m, "fqn", where),
        catalog=_opt_str(m, "catalog", where),
        schema=_str(m, "schema", where),
        table=_str(m, "table", where),
        kind=_str(m, "kind", where),
        kind_details=_dict(m, "kind_details", where),
        cron=_str(m, "cron", where),
        interval_unit=_opt_str(m, "interval_unit", where),
        tags=_str_list(m, "tags", where),
        owner=_opt_str(m, "owner", where),
        description=_opt_str(m, "description", where),
        columns=_columns(m, where),
        depends_on=_str_list(m, "depends_on", where),
        audits=_audits(m, where),
        data_hash=_str(m, "data_hash", where),
        fingerprint=_opt_str(m, "fingerprint", where),
        partitioned_by=_str_list(m, "partitioned_by", where),
        clustered_by=_str_list(m, "clustered_by", where),
        grains=_str_list(m, "grains", where),
        dialect=_str(m, "dialect", where),
        query=_opt_str(m, "query", where),
    )


def _external(raw: Any, where: str) -> ManifestExternalModel:
    m = _object(raw, _EXTERNAL_KEYS, where)
    return ManifestExternalModel(
        name=_str(m, "name", where),
        fqn=_str(m, "fqn", where),
        catalog=_opt_str(m, "catalog", where),
        schema=_str(m, "schema", where),
        table=_str(m, "table", where),
        description=_opt_str(m, "description", where),
        columns=_columns(m, where),
        audits=_audits(m, where),
    )


def _standalone(raw: Any, where: str) -> ManifestStandaloneAudit:
    m = _object(raw, _STANDALONE_KEYS, where)
    return ManifestStandaloneAudit(
        name=_str(m, "name", where),
        depends_on=_str_list(m, "depends_on", where),
        cron=_str(m, "cron", where),
        description=_opt_str(m, "description", where),
        fingerprint=_opt_str(m, "fingerprint", where),
    )


def parse_manifest(data: Any, *, path: str | None = None, hint: str = "regenerate the manifest") -> Manifest:
    """Validate decoded manifest JSON and return a typed ``Manifest``.

    ``manifest_version`` is checked first so that a manifest from another release gets the
    version message, not a confusing shape error.
    """
    label = path or "<manifest>"
    if isinstance(data, dict) and data.get("manifest_version") != MANIFEST_VERSION:
        raise errors.SQLMeshPipesManifestError(
            errors.MANIFEST_VERSION_MISMATCH.format(
                manifest_path=label, found=data.get("manifest_version"), expected=MANIFEST_VERSION, hint=hint
            )
        )
    try:
        top = _object(data, _MANIFEST_KEYS, "$")
        models = tuple(_model(raw, f"$.models[{i}]") for i, raw in enumerate(_list(top, "models", "$")))
        externals = tuple(
            _external(raw, f"$.external_models[{i}]")
            for i, raw in enumerate(_list(top, "external_models", "$"))
        )
        standalone = tuple(
            _standalone(raw, f"$.standalone_audits[{i}]")
            for i, raw in enumerate(_list(top, "standalone_audits", "$"))
        )
        manifest = Manifest(
            manifest_version=MANIFEST_VERSION,
            sqlmesh_version=_str(top, "sqlmesh_version", "$"),
            generated_at=_str(top, "generated_at", "$"),
            project_dir=_str(top, "project_dir", "$"),
            gateway=_opt_str(top, "gateway", "$"),
            default_catalog=_opt_str(top, "default_catalog", "$"),
            dialect=_str(top, "dialect", "$"),
            models=models,
            external_models=externals,
            standalone_audits=standalone,
            path=path,
        )
    except _ShapeError as e:
        raise errors.SQLMeshPipesManifestError(
            errors.MANIFEST_SHAPE.format(manifest_path=label, where=e.where, problem=e.problem, hint=hint)
        ) from None
    seen: set[str] = set()
    for model in models:
        if model.name in seen:
            raise errors.SQLMeshPipesManifestError(
                errors.MANIFEST_DUPLICATE_MODEL.format(manifest_path=label, name=model.name)
            )
        seen.add(model.name)
    return manifest


_CACHE: dict[str, tuple[tuple[int, int], Manifest]] = {}


def load_manifest(path: str | os.PathLike[str], *, hint: str = "regenerate the manifest") -> Manifest:
    """Read and validate the manifest at ``path``; cached per file until it changes on disk."""
    resolved = str(Path(path).resolve())
    try:
        stat = os.stat(resolved)
    except FileNotFoundError:
        raise errors.SQLMeshPipesManifestError(
            errors.MANIFEST_NOT_FOUND.format(manifest_path=resolved, hint=hint)
        ) from None
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _CACHE.get(resolved)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        with open(resolved, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise errors.SQLMeshPipesManifestError(
            errors.MANIFEST_NOT_JSON.format(manifest_path=resolved, error=e, hint=hint)
        ) from None
    manifest = parse_manifest(data, path=resolved, hint=hint)
    _CACHE[resolved] = (stamp, manifest)
    return manifest
