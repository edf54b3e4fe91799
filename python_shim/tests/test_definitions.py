from __future__ import annotations

import json
import textwrap

import pytest
from dagster import AssetKey, DagsterInstance, Definitions, ReexecutionOptions, execute_job, instance_for_test
from dagster._core.definitions.reconstruct import ReconstructableJob
from dagster._core.remote_representation.external_data import RepositorySnap
from dagster._serdes import serialize_value

from sqlmesh_pipes import (
    SQLMeshPipesDefinitionError,
    SQLMeshResource,
    SQLMeshTranslator,
    sqlmesh_definitions_factory,
)


def test_definitions(factory_kwargs):
    defs = sqlmesh_definitions_factory(**factory_kwargs, group_name="wh", concurrency_limit=2)
    assert isinstance(defs, Definitions)
    resource = defs.resources["sqlmesh"]
    assert isinstance(resource, SQLMeshResource) and resource.concurrency_limit == 2
    assert {s.name for s in defs.schedules or []} == set()
    job = defs.resolve_job_def("sqlmesh_job")
    assert job is not None
    graph = defs.resolve_asset_graph()
    assert AssetKey(["db", "marts", "revenue"]) in graph.get_all_asset_keys()
    # The external model is an asset of its own (not an auto-created stub), with its columns.
    external = graph.get(AssetKey(["db", "raw", "orders"]))
    assert not external.is_materializable and external.group_name == "wh"
    assert "dagster/column_schema" in external.metadata
    # what the webserver does with it: the translator is not config, so this serializes
    serialize_value(RepositorySnap.from_def(defs.get_repository_def()))


def test_definitions_with_schedule(factory_kwargs, scenario):
    scenario()
    defs = sqlmesh_definitions_factory(**factory_kwargs, enable_schedule=True, schedule_name="nightly")
    schedule_def = defs.resolve_schedule_def("nightly")
    assert schedule_def.cron_schedule == "0 * * * *"
    assert schedule_def.job_name == "sqlmesh_job"


def test_job_runs_every_model_and_check_in_one_executor_run(factory_kwargs, scenario):
    record = scenario()
    defs = sqlmesh_definitions_factory(**factory_kwargs)
    result = defs.resolve_job_def("sqlmesh_job").execute_in_process(instance=DagsterInstance.ephemeral())
    assert result.success
    extras = json.loads(record.read_text())["extras"]
    assert set(extras["models"].values()) == {"staging.orders", "marts.revenue", "marts.hourly"}
    assert len(extras["checks"]) == 3


def test_external_dependency_must_map(factory_kwargs):
    class NoExternals(SQLMeshTranslator):
        def get_external_asset_key(self, external_fqn):
            return None

    with pytest.raises(SQLMeshPipesDefinitionError) as e:
        sqlmesh_definitions_factory(**factory_kwargs, translator=NoExternals())
    message = str(e.value)
    assert "SQLMesh model 'staging.orders'" in message
    assert 'external table "db"."raw"."orders"' in message
    assert "override get_external_asset_key" in message


def test_keyword_only(factory_kwargs):
    with pytest.raises(TypeError):
        sqlmesh_definitions_factory(factory_kwargs["project_dir"])  # type: ignore[misc]


def test_bad_arguments_fail_at_definition_time(factory_kwargs):
    with pytest.raises(SQLMeshPipesDefinitionError, match="Invalid group_name"):
        sqlmesh_definitions_factory(**factory_kwargs, group_name="a b")
    with pytest.raises(Exception, match="concurrency_limit must be a positive integer"):
        sqlmesh_definitions_factory(**factory_kwargs, concurrency_limit=0)


def test_reexecution_from_failure(factory_kwargs, scenario, tmp_path):
    """A failed model fails the run; re-executing from failure runs the step again and succeeds."""
    module = tmp_path / "defs_module.py"
    module.write_text(
        textwrap.dedent(
            f"""
            from sqlmesh_pipes import sqlmesh_definitions_factory

            defs = sqlmesh_definitions_factory(**{factory_kwargs!r})

            def get_job():
                return defs.resolve_job_def("sqlmesh_job")
            """
        )
    )
    recon = ReconstructableJob.for_file(str(module), "get_job")
    record = scenario(outcomes={"marts.revenue": "failed"})
    with instance_for_test() as instance:
        with execute_job(recon, instance=instance) as first:
            assert not first.success
            materialized = {
                e.asset_key for e in first.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
            }
            assert AssetKey(["db", "staging", "orders"]) in materialized
        scenario(record=str(record))  # everything succeeds now
        options = ReexecutionOptions.from_failure(first.run_id, instance)
        with execute_job(recon, instance=instance, reexecution_options=options) as second:
            assert second.success
        extras = json.loads(record.read_text())["extras"]
        assert "marts.revenue" in extras["models"].values()


def test_the_one_step_runs_in_the_run_process_unless_told_otherwise(factory_kwargs):
    # One multi-asset step: a multiprocess executor would only re-import the code location first.
    defs = sqlmesh_definitions_factory(**factory_kwargs)
    assert defs.resolve_job_def("sqlmesh_job").executor_def.name == "in_process"
    assert defs.resolve_implicit_global_asset_job_def().executor_def.name == "in_process"
    default = sqlmesh_definitions_factory(**factory_kwargs, executor=None)
    assert default.resolve_implicit_global_asset_job_def().executor_def.name == "multi_or_in_process_executor"
