"""The Pipes session of one executor run: Dagster's ``open_pipes_session`` with the context built
in one query.

Dagster's own opener asks the event log for each selected asset's latest materialization, one
query per asset, to send its data provenance: 9 ms an asset on a sqlite home, 9 s before the
executor can start at 1000 models. The same records come back from one
``get_latest_materialization_events`` call. Everything else is Dagster's: its context builder is
used as is for partitioned steps, and the session and message handler are the public
``PipesSession`` and ``PipesMessageHandler``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    DataProvenance,
    PipesContextInjector,
    PipesMessageHandler,
    PipesMessageReader,
    PipesSession,
)
from dagster._core.pipes.context import build_external_execution_context_data
from dagster_pipes import PipesContextData, PipesDataProvenance


def _pipes_key(key: AssetKey) -> str:
    return key.to_escaped_user_string()


def _pipes_provenance(provenance: DataProvenance | None) -> PipesDataProvenance | None:
    if provenance is None:
        return None
    return PipesDataProvenance(
        code_version=provenance.code_version,
        input_data_versions={_pipes_key(k): v.value for k, v in provenance.input_data_versions.items()},
        is_user_provided=provenance.is_user_provided,
    )


def provenance_by_key(
    context: AssetExecutionContext, keys: list[AssetKey]
) -> dict[AssetKey, DataProvenance | None]:
    """Each asset's provenance from its latest materialization, read in one query.

    SQLMesh models are materialized, never observed, so the latest materialization is the record
    Dagster's ``get_asset_provenance`` would pick.
    """
    latest = context.instance.get_latest_materialization_events(keys)
    return {
        key: DataProvenance.from_tags(entry.tags or {}) if (entry := latest.get(key)) is not None else None
        for key in keys
    }


def build_context_data(context: AssetExecutionContext, extras: Mapping[str, Any]) -> PipesContextData:
    """The Pipes context Dagster's ``open_pipes_session`` would send, its provenance read in one query."""
    if context.has_partition_key:
        return build_external_execution_context_data(context, extras)
    keys = sorted(context.selected_asset_keys)
    code_versions = context.assets_def.code_versions_by_key
    provenance = provenance_by_key(context, keys)
    return PipesContextData(
        asset_keys=[_pipes_key(key) for key in keys],
        code_version_by_asset_key={_pipes_key(key): code_versions[key] for key in keys},
        provenance_by_asset_key={_pipes_key(key): _pipes_provenance(provenance[key]) for key in keys},
        partition_key=None,
        partition_key_range=None,
        partition_time_window=None,
        run_id=context.run.run_id,
        job_name=context.job_name,
        retry_number=context.retry_number,
        extras=dict(extras),
    )


@contextlib.contextmanager
def open_session(
    context: AssetExecutionContext,
    *,
    context_injector: PipesContextInjector,
    message_reader: PipesMessageReader,
    extras: Mapping[str, Any],
) -> Iterator[PipesSession]:
    """``open_pipes_session`` with :func:`build_context_data`, without its "requires typed event
    stream" guard: that guard makes every selected output required, and a model SQLMesh did not
    run (not due, skipped) must stay without one rather than fail the step. ``PipesRun`` hands
    over everything reported itself."""
    context_data = build_context_data(context, extras)
    handler = PipesMessageHandler(context, message_reader)
    try:
        with (
            context_injector.inject_context(context_data) as injector_params,
            handler.handle_messages() as reader_params,
        ):
            yield PipesSession(
                context_data=context_data,
                message_handler=handler,
                context_injector_params=injector_params,
                message_reader_params=reader_params,
                context=context,
            )
    finally:
        # The executor always opens and closes its side; when it did not, say where to look.
        if not handler.received_opened_message:
            context.log.warning(
                "[pipes] did not receive any messages from the executor: it exited before opening"
                " Dagster Pipes (see its stderr in the step's logs)."
                f" {context_injector.no_messages_debug_text()} {message_reader.no_messages_debug_text()}"
            )
        elif not handler.received_closed_message:
            context.log.warning(
                "[pipes] did not receive closed message from the executor: it was killed before"
                " closing Dagster Pipes, and what it reported after its last flush is lost."
            )
