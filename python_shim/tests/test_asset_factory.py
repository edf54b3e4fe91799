"""The multi-asset end to end through real Dagster, with the fake executor standing in for Node."""

from __future__ import annotations

import json

import pytest
from dagster import (
    AssetCheckKey,
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    RetryPolicy,
    materialize,
)
from shim_helpers import audit, fqn, manifest, model

from sqlmesh_pipes import SQLMeshPipesDefinitionError, sqlmesh_assets_factory

ORDERS = AssetKey(["db", "staging", "orders"])
REVENUE = AssetKey(["db", "marts", "revenue"])
HOURLY = AssetKey(["db", "marts", "hourly"])


def _materialized(result) -> set[AssetKey]:
    return {
        e.event_specific_data.materialization.asset_key
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_MATERIALIZATION
    }


def _checks(result) -> dict[AssetCheckKey, bool]:
    return {
        AssetCheckKey(
            e.event_specific_data.asset_key, e.event_specific_data.check_name
        ): e.event_specific_data.passed
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    }


def _logs(instance: DagsterInstance, run_id: str) -> str:
    return "\n".join(r.user_message for r in instance.all_logs(run_id))


def test_success_materializes_every_selected_model_and_check(make_resource, scenario):
    resource = make_resource(concurrency_limit=3)
    record = scenario()
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    result = materialize([assets], resources={"sqlmesh": resource})
    assert result.success
    assert _materialized(result) == {ORDERS, REVENUE, HOURLY}
    assert _checks(result) == {
        AssetCheckKey(ORDERS, "not_null"): True,
        AssetCheckKey(ORDERS, "not_null_2"): True,
        AssetCheckKey(REVENUE, "assert_positive"): True,
    }
    sent = json.loads(record.read_text())
    extras = sent["extras"]
    assert extras["models"] == {
        "db/marts/hourly": "marts.hourly",
        "db/marts/revenue": "marts.revenue",
        "db/staging/orders": "staging.orders",
    }
    assert sorted(extras["models"]) == sorted(sent["asset_keys"])
    assert extras["concurrent_tasks"] == 3
    assert extras["environment"] == "prod"
    assert {
        (c["check_name"], c["audit_index"]) for c in extras["checks"] if c["model"] == "staging.orders"
    } == {
        ("not_null", 0),
        ("not_null_2", 1),
    }
    assert sent["argv"][:3] == ["run", "--project", *resource.project_dirs]


def test_subset_runs_only_the_selection(make_resource, scenario):
    resource = make_resource()
    record = scenario()
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    result = materialize([assets], resources={"sqlmesh": resource}, selection=[REVENUE])
    assert result.success
    assert _materialized(result) == {REVENUE}
    extras = json.loads(record.read_text())["extras"]
    assert extras["models"] == {"db/marts/revenue": "marts.revenue"}
    assert [c["check_name"] for c in extras["checks"]] == ["assert_positive"]


def test_checks_only_selection(make_resource, scenario):
    resource = make_resource()
    record = scenario(checks={"db/staging/orders:not_null_2": False})
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    job = assets.get_asset_spec(ORDERS)  # noqa: F841 - the spec exists
    from dagster import AssetSelection, Definitions, define_asset_job

    defs = Definitions(
        assets=[assets],
        resources={"sqlmesh": resource},
        jobs=[define_asset_job("checks_only", selection=AssetSelection.checks_for_assets(ORDERS))],
    )
    result = defs.get_job_def("checks_only").execute_in_process(instance=DagsterInstance.ephemeral())
    assert result.success  # non-blocking failure does not fail the step by itself
    assert _materialized(result) == set()
    assert _checks(result) == {
        AssetCheckKey(ORDERS, "not_null"): True,
        AssetCheckKey(ORDERS, "not_null_2"): False,
    }
    extras = json.loads(record.read_text())["extras"]
    assert extras["models"] == {}
    assert {c["check_name"] for c in extras["checks"]} == {"not_null", "not_null_2"}


def test_unevaluated_checks_are_explained(make_resource, scenario):
    resource = make_resource()
    scenario(outcomes={"marts.revenue": "not_due"})
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    instance = DagsterInstance.ephemeral()
    result = materialize([assets], resources={"sqlmesh": resource}, instance=instance, selection=[REVENUE])
    assert result.success  # an unevaluated check is not a failure
    assert _materialized(result) == set() and _checks(result) == {}
    assert (
        "Check db/marts/revenue:assert_positive not evaluated: SQLMesh audits a model only when it "
        "evaluates it, and marts.revenue was not due: not due until 2026-01-02"
        in _logs(instance, result.run_id)
    )


def test_failure_records_successes_then_fails_with_sqlmesh_text(make_resource, scenario):
    resource = make_resource()
    scenario(outcomes={"marts.revenue": "failed", "marts.hourly": "not_due"})
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    instance = DagsterInstance.ephemeral()
    result = materialize([assets], resources={"sqlmesh": resource}, instance=instance, raise_on_error=False)
    assert not result.success
    assert _materialized(result) == {ORDERS}
    assert AssetCheckKey(ORDERS, "not_null") in _checks(result)
    failure = next(e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE)
    text = failure.step_failure_data.error.message
    assert "marts.revenue" in text and "Catalog Error: Table marts.revenue does not exist!" in text
    logs = _logs(instance, result.run_id)
    # The executor's words (the summary's reason), never the Python side's own.
    assert "marts.hourly not materialized (not due): not due until 2026-01-02" in logs
    assert (
        "marts.revenue not materialized (failed): Catalog Error: Table marts.revenue does not exist!" in logs
    )
    assert "— 1 materialized; not due: marts.hourly; failed: marts.revenue." in logs


def test_not_due_is_not_materialized_and_succeeds(make_resource, scenario):
    resource = make_resource()
    scenario(outcomes={"marts.hourly": "not_due", "marts.revenue": "skipped"})
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    result = materialize([assets], resources={"sqlmesh": resource})
    assert result.success
    assert _materialized(result) == {ORDERS}


def test_unselected_and_duplicate_reports_are_dropped(make_resource, scenario):
    resource = make_resource()
    scenario(duplicate=True, extra_results=[{"asset_key": "db/marts/hourly"}])
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    result = materialize([assets], resources={"sqlmesh": resource}, selection=[ORDERS])
    assert result.success
    assert _materialized(result) == {ORDERS}


def test_missing_summary_fails(make_resource, scenario):
    resource = make_resource()
    scenario(summary=False)
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    result = materialize([assets], resources={"sqlmesh": resource}, raise_on_error=False)
    assert not result.success
    assert _materialized(result) == {ORDERS, REVENUE, HOURLY}  # what was reported is still recorded
    failure = next(e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE)
    assert "without its run summary" in failure.step_failure_data.error.message


def test_a_summary_that_breaks_the_contract_is_a_clear_failure(make_resource, scenario):
    resource = make_resource()
    scenario(bad_summary=True)
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    result = materialize([assets], resources={"sqlmesh": resource}, raise_on_error=False)
    assert not result.success
    assert _materialized(result) == {ORDERS, REVENUE, HOURLY}  # what was reported is still recorded
    failure = next(e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE)
    message = failure.step_failure_data.error.message
    # A Failure naming the fix, never a raw RunSummaryError traceback.
    assert failure.step_failure_data.user_failure_data is not None, message
    assert "run summary is invalid at $: missing key(s)" in message and "reinstall both" in message, message


def test_non_zero_exit_is_a_clear_failure(make_resource, scenario):
    resource = make_resource()
    scenario(exit_code=2)
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    result = materialize([assets], resources={"sqlmesh": resource}, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE)
    assert "exited with code 2 (usage or configuration error)" in failure.step_failure_data.error.message


def test_missing_executor_fails_with_fix(make_resource, scenario, tmp_path):
    resource = make_resource(executor_path=str(tmp_path / "nope" / "cli.js"))
    scenario()
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    result = materialize([assets], resources={"sqlmesh": resource}, raise_on_error=False)
    failure = next(e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE)
    assert "npm run build" in failure.step_failure_data.error.message


def test_custom_asset_key_changes_deps(make_resource):
    from sqlmesh_pipes import SQLMeshTranslator

    class Prefixed(SQLMeshTranslator):
        def get_asset_key(self, model):
            return super().get_asset_key(model).with_prefix("wh")

    data = manifest([model("s.one"), model("s.two", depends_on=[fqn("s.one")])])
    assets = sqlmesh_assets_factory(sqlmesh_resource=make_resource(data, translator=Prefixed()))
    two = assets.get_asset_spec(AssetKey(["wh", "db", "s", "two"]))
    assert [d.asset_key for d in two.deps] == [AssetKey(["wh", "db", "s", "one"])]


def test_factory_arguments(make_resource):
    resource = make_resource()
    assets = sqlmesh_assets_factory(
        sqlmesh_resource=resource,
        name="shop",
        group_name="warehouse",
        op_tags={"team": "data"},
        retry_policy=RetryPolicy(max_retries=2),
    )
    assert assets.op.name == "shop"
    assert assets.op.tags["team"] == "data"
    assert assets.op.retry_policy == RetryPolicy(max_retries=2)
    # tag > factory argument > default
    assert assets.get_asset_spec(ORDERS).group_name == "staging"
    assert assets.get_asset_spec(REVENUE).group_name == "warehouse"
    assert assets.can_subset


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "bad name"}, "Invalid name 'bad name'"),
        ({"group_name": "bad-group"}, "Invalid group_name 'bad-group'"),
        ({"op_tags": {"sqlmesh_pipes/select": "x"}}, "reserved"),
        ({"op_tags": ["x"]}, "op_tags must be a mapping"),
        ({"retry_policy": 3}, "retry_policy must be a dagster.RetryPolicy"),
    ],
)
def test_factory_validates_arguments(make_resource, kwargs, message):
    resource = make_resource()
    with pytest.raises(SQLMeshPipesDefinitionError, match=message.replace("(", r"\(")):
        sqlmesh_assets_factory(sqlmesh_resource=resource, **kwargs)


def test_factory_requires_a_resource():
    with pytest.raises(SQLMeshPipesDefinitionError, match="sqlmesh_resource must be a SQLMeshResource"):
        sqlmesh_assets_factory(sqlmesh_resource="project")  # type: ignore[arg-type]


def test_factory_args_are_keyword_only(make_resource):
    with pytest.raises(TypeError):
        sqlmesh_assets_factory(make_resource())  # type: ignore[misc]


def test_blocking_audit_failure_fails_the_step_after_recording(make_resource, scenario):
    data = manifest([model("s.one", audits=[audit("not_null", blocking=True)])])
    resource = make_resource(data)
    scenario(checks={"db/s/one:not_null": False})
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    result = materialize([assets], resources={"sqlmesh": resource}, raise_on_error=False)
    assert _checks(result) == {AssetCheckKey(AssetKey(["db", "s", "one"]), "not_null"): False}
    assert not result.success  # Dagster's own blocking-check gate


def test_every_run_of_the_project_is_one_step_in_its_pool(make_resource, project_dir, tmp_path):
    resource = make_resource()
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    assert resource.pool == f"sqlmesh:{project_dir.name}"
    assert assets.op.pool == resource.pool
    assert sqlmesh_assets_factory(sqlmesh_resource=resource, pool="mine").op.pool == "mine"
    spaced = tmp_path / "my project"
    spaced.mkdir()
    other = make_resource(project_dir=[str(project_dir), str(spaced)], gateway="pg")
    assert other.pool == f"sqlmesh:{project_dir.name}+my_project@pg"
