"""Restate models: re-process intervals SQLMesh already has, with SQLMesh's own restatement plan.

``sqlmesh plan ENV --restate-model M [--start S --end E]``: SQLMesh removes the intervals of M
in the window — and of every model downstream of M, over what they built from it — and
evaluates them again with the code the environment already runs (a restatement plan ignores
local changes). In prod, the same intervals of those models' other versions are cleared too, so
dev environments pick the new data up. We add two refusals, each one line naming the fix:

- the project has unapplied changes: a restatement must never deploy code, and a user who
  changed a model should not get data from the old one believing it is the new;
- the Dagster step does not select every model SQLMesh would re-evaluate: its tables would change
  with no materialization in Dagster.
"""

from __future__ import annotations

import typing as t

from sqlmesh_pipes_console.common import UsageError

# How many model names a refusal names before "and N more".
_NAMED = 10


def restate_models(
    context: t.Any,
    environment: str,
    models: t.Sequence[str],
    *,
    start: str | None,
    end: str | None,
    execution_time: str | None,
    selected: t.Sequence[str] | None,
) -> t.Any:
    """Apply SQLMesh's restatement plan of ``models`` (with their downstream) in ``environment``;
    returns a completion status. ``selected``: the models Dagster selected (None: all)."""
    from sqlmesh.utils import CompletionStatus
    from sqlmesh.utils.errors import PlanError

    changed = pending_changes(context, environment)
    if changed:
        raise UsageError(
            f"restatement refused: the project has changes not applied to {environment!r} "
            f"({_names(changed)}) — apply them with `sqlmesh plan {environment}` first; "
            "a restatement never deploys code"
        )
    plan = context.plan_builder(
        environment,
        restate_models=list(models),
        start=start,
        end=end,
        execution_time=execution_time,
        skip_tests=True,
    ).build()
    restated = {_model_name(context, snapshot_id.name) for snapshot_id in plan.restatements}
    if selected is not None:
        chosen = {_model_name(context, name) for name in selected}
        missing = sorted(restated - chosen)
        if missing:
            raise UsageError(
                f"restating {', '.join(models)} also re-evaluates {_names(missing)}, not selected in "
                "this run — select their assets too (a restatement changes every downstream table)"
            )
    if not plan.requires_backfill:
        return CompletionStatus.NOTHING_TO_DO
    try:
        context.apply(plan)
    except PlanError:
        # The console has reported each failed batch already (log_failed_models).
        return CompletionStatus.FAILURE
    return CompletionStatus.SUCCESS


def pending_changes(context: t.Any, environment: str) -> list[str]:
    """Models whose local definition differs from what ``environment`` runs (added, changed, removed)."""
    diff = context.plan_builder(environment, skip_tests=True).build().context_diff
    names = {
        *diff.modified_snapshots,
        *(s.name for s in diff.added),
        *(s.name for s in diff.removed_snapshots),
    }
    return sorted(_model_name(context, name) for name in names)


def _model_name(context: t.Any, name: str) -> str:
    """A model's name as the project writes it, from its FQN or name."""
    model = context.get_model(name)
    return str(model.name) if model is not None else name


def _names(names: t.Sequence[str]) -> str:
    shown = ", ".join(names[:_NAMED])
    return shown if len(names) <= _NAMED else f"{shown} and {len(names) - _NAMED} more"
