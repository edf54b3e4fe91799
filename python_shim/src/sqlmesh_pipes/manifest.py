"""The SQLMesh project manifest, as read by the Dagster code location.

The shape, its strict reader and ``MANIFEST_VERSION`` are generated from the zod schema
(``src/contracts/manifest.ts``) into ``sqlmesh_pipes_contracts``; this module adds what the code
location needs around them: reading a file (cached until it changes), the version check first,
and errors that name the file and the fix.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sqlmesh_pipes_contracts import (
    MANIFEST_VERSION,
    ContractError,
    ManifestAudit,
    ManifestColumn,
    ManifestExternalModel,
    ManifestStandaloneAudit,
)
from sqlmesh_pipes_contracts import Manifest as ManifestDocument
from sqlmesh_pipes_contracts import ManifestModel as ManifestModelDocument
from sqlmesh_pipes_contracts import read_manifest as read_manifest_document

from . import errors

__all__ = [
    "MANIFEST_VERSION",
    "Manifest",
    "ManifestAudit",
    "ManifestColumn",
    "ManifestExternalModel",
    "ManifestModel",
    "ManifestStandaloneAudit",
    "ModelKind",
    "parse_manifest",
    "read_manifest_file",
]

_DOCUMENT_FIELDS = tuple(field.name for field in fields(ManifestDocument))
_MODEL_FIELDS = tuple(field.name for field in fields(ManifestModelDocument))


class ModelKind(str):
    """A model's kind name (``"FULL"``, ``"INCREMENTAL_BY_TIME_RANGE"``…) that also answers like
    SQLMesh's ``ModelKind`` (``kind.name``, ``kind.is_full``…), so translators written for
    dg-sqlmesh, which receive SQLMesh models, read it unchanged."""

    __slots__ = ()

    @property
    def name(self) -> str:
        """The kind name, as SQLMesh's ``model.kind.name``."""
        return str(self)

    @property
    def is_full(self) -> bool:
        return self == "FULL"

    @property
    def is_view(self) -> bool:
        return self == "VIEW"

    @property
    def is_seed(self) -> bool:
        return self == "SEED"

    @property
    def is_embedded(self) -> bool:
        return self == "EMBEDDED"

    @property
    def is_incremental(self) -> bool:
        return self.startswith("INCREMENTAL") or self.startswith("SCD_TYPE_2")

    @property
    def is_incremental_by_time_range(self) -> bool:
        return self == "INCREMENTAL_BY_TIME_RANGE"

    @property
    def is_incremental_by_unique_key(self) -> bool:
        return self == "INCREMENTAL_BY_UNIQUE_KEY"

    @property
    def is_scd_type_2(self) -> bool:
        return self.startswith("SCD_TYPE_2")

    @property
    def is_materialized(self) -> bool:
        return self not in ("VIEW", "EMBEDDED", "EXTERNAL")


@dataclass(frozen=True, kw_only=True)
class ManifestModel(ManifestModelDocument):
    """A model of the manifest, with the attribute names of SQLMesh's ``Model`` that dg-sqlmesh
    translators read (``view_name``, ``schema_name``, ``columns_to_types``, ``kind.name``…) beside
    the manifest's own (``table``, ``schema``, ``columns``, ``kind``)."""

    @property
    def view_name(self) -> str:
        """The table name without schema and catalog, as SQLMesh's ``model.view_name``."""
        return self.table

    @property
    def schema_name(self) -> str:
        """As SQLMesh's ``model.schema_name``."""
        return self.schema

    @property
    def columns_to_types(self) -> dict[str, str]:
        """Column name → SQL type (as text; ``"unknown"`` when SQLMesh could not tell)."""
        return {column.name: column.type or "unknown" for column in self.columns}

    @property
    def column_descriptions(self) -> dict[str, str]:
        """Column name → description, for the columns that have one."""
        return {column.name: column.description for column in self.columns if column.description}

    def json(self) -> str:
        """The model as a JSON string (dg-sqlmesh's ``serialize_metadata`` calls ``model.json()``)."""
        return json.dumps(self.to_json())


def _model(document: ManifestModelDocument) -> ManifestModel:
    values = {name: getattr(document, name) for name in _MODEL_FIELDS}
    values["kind"] = ModelKind(document.kind)
    return ManifestModel(**values)


@dataclass(frozen=True, kw_only=True)
class Manifest(ManifestDocument):
    """A manifest as the code location holds it: the document and where it was read from."""

    path: str | None = None
    """Where it was read from (not part of the JSON)."""


def parse_manifest(data: Any, *, path: str | None = None, hint: str = "regenerate the manifest") -> Manifest:
    """Validate decoded manifest JSON and return a ``Manifest``.

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
        document = read_manifest_document(data)
    except ContractError as e:
        raise errors.SQLMeshPipesManifestError(
            errors.MANIFEST_SHAPE.format(manifest_path=label, where=e.where, problem=e.problem, hint=hint)
        ) from None
    seen: set[str] = set()
    for model in document.models:
        if model.name in seen:
            raise errors.SQLMeshPipesManifestError(
                errors.MANIFEST_DUPLICATE_MODEL.format(manifest_path=label, name=model.name)
            )
        seen.add(model.name)
    values = {name: getattr(document, name) for name in _DOCUMENT_FIELDS}
    values["models"] = tuple(_model(model) for model in document.models)
    return Manifest(**values, path=path)


_CACHE: dict[str, tuple[tuple[int, int], Manifest]] = {}


def read_manifest_file(path: str | os.PathLike[str], *, hint: str = "regenerate the manifest") -> Manifest:
    """Read and validate the manifest file at ``path``; cached per file until it changes on disk."""
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
