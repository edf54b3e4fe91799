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
    ManifestModel,
    ManifestStandaloneAudit,
)
from sqlmesh_pipes_contracts import Manifest as ManifestDocument
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
    "parse_manifest",
    "read_manifest_file",
]

_DOCUMENT_FIELDS = tuple(field.name for field in fields(ManifestDocument))


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
    return Manifest(**{name: getattr(document, name) for name in _DOCUMENT_FIELDS}, path=path)


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
