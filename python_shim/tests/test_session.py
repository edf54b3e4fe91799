"""The Pipes context we send is the one Dagster's ``open_pipes_session`` would send, provenance included."""

from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetSpec,
    DagsterInstance,
    DataVersion,
    MaterializeResult,
    materialize,
    multi_asset,
)
from dagster._core.pipes.context import build_external_execution_context_data

from sqlmesh_pipes.session import build_context_data

EXTRAS = {"sqlmesh_pipes": {"models": {"a": "db.a"}}}


def _assets(seen: list[tuple[Any, Any]], versions: dict[str, str]) -> Any:
    @multi_asset(
        specs=[
            AssetSpec("a", code_version="v1"),
            AssetSpec("b", deps=["a"], code_version="v2"),
            AssetSpec(["schema", "c"], deps=["b"]),  # no code version; a key with a prefix
            AssetSpec("never", skippable=True),
        ],
        can_subset=True,
    )
    def models(context: AssetExecutionContext):
        seen.append(
            (build_context_data(context, EXTRAS), build_external_execution_context_data(context, EXTRAS))
        )
        for key in sorted(context.selected_asset_keys):
            if key.path[-1] != "never":
                yield MaterializeResult(asset_key=key, data_version=DataVersion(versions[key.path[-1]]))

    return models


def test_context_data_matches_dagsters_builder_before_and_after_materializations() -> None:
    seen: list[tuple[Any, Any]] = []
    with DagsterInstance.ephemeral() as instance:
        for versions in ({"a": "1", "b": "1", "c": "1"}, {"a": "2", "b": "3", "c": "4"}):
            assert materialize([_assets(seen, versions)], instance=instance).success
    (first_ours, first_dagsters), (ours, dagsters) = seen
    assert first_ours == first_dagsters
    assert ours == dagsters
    # The second step really carries provenance (the first run's code and input data versions).
    provenance = ours["provenance_by_asset_key"]
    assert provenance["b"] == {
        "code_version": "v2",
        "input_data_versions": {"a": "1"},
        "is_user_provided": True,
    }
    assert provenance["schema/c"]["input_data_versions"] == {"b": "1"}
    assert provenance["never"] is None
