"""Column lineage for the manifest, from SQLMesh's own lineage (``sqlmesh.core.lineage``).

The same walk as SQLMesh's ``column_dependencies``: sqlglot's lineage over the model's rendered
and qualified query, each leaf's table normalized to the FQN SQLMesh uses for models. Runs in
the SQLMesh env when the manifest is built, so the code location never parses SQL.
"""

from __future__ import annotations

import typing as t

from sqlglot import exp

from sqlmesh_pipes_contracts import ManifestColumnSource

if t.TYPE_CHECKING:
    from sqlmesh.core.model import Model


def column_lineage(
    model: Model, default_catalog: str | None
) -> dict[str, tuple[ManifestColumnSource, ...]] | None:
    """Each column's upstream columns, sorted; None for Python models and seeds. A column whose
    lineage SQLMesh cannot resolve, or that reads no table (a literal), is left out."""
    from sqlmesh.core.dialect import normalize_model_name
    from sqlmesh.core.lineage import lineage

    if not model.is_sql or model.kind.is_seed:
        return None
    result: dict[str, tuple[ManifestColumnSource, ...]] = {}
    for column in model.columns_to_types or {}:
        try:
            root = lineage(exp.column(column, quoted=True), model, trim_selects=False)
        except Exception:  # noqa: BLE001 - SQLMesh could not resolve it: left out, not guessed
            continue
        sources: set[tuple[str, str]] = set()
        for node in root.walk():
            if node.downstream:
                continue
            table = node.expression.find(exp.Table)
            if table is not None:
                fqn = normalize_model_name(table, default_catalog=default_catalog, dialect=model.dialect)
                sources.add((fqn, exp.to_column(node.name).name))
        if sources:
            result[column] = tuple(
                ManifestColumnSource(fqn=fqn, column=name) for fqn, name in sorted(sources)
            )
    return result
