"""Re-execution from failure through Dagster's API (execute_job + ReexecutionOptions.from_failure)
with real SQLMesh: the failure is data-driven (a bad row in data/items.csv, read by shop.items
at run time) so it can be fixed without a new plan — `sqlmesh run` only runs what the last
applied plan stored."""

from __future__ import annotations

from dagster import DagsterRunStatus, ReexecutionOptions, execute_job, reconstructable
from dagster_e2e_helpers import (
    GOOD_ITEMS,
    PROJECT_ENV_VAR,
    check_evaluations,
    evaluated_models,
    key,
    shop_job,
    user_messages,
    write_items,
)


def materialized_keys(instance, run_id: str) -> set:
    return {
        record.dagster_event.asset_key
        for record in instance.all_logs(run_id)
        if record.dagster_event is not None and record.dagster_event.event_type_value == "ASSET_MATERIALIZATION"
    }


def test_reexecute_from_failure_materializes_the_fixed_model(shop_project, dagster_instance, assert_pipes_clean, monkeypatch):
    monkeypatch.setenv(PROJECT_ENV_VAR, str(shop_project))
    job = reconstructable(shop_job)  # the factory's job runs its one step in the run's process

    write_items(shop_project, [("1", "10"), ("2", "oops")])
    with execute_job(job, instance=dagster_instance) as failed:
        assert not failed.success
        failed_run_id = failed.run_id
    assert_pipes_clean(dagster_instance, failed_run_id)
    assert materialized_keys(dagster_instance, failed_run_id) == {key("shop.events"), key("shop.events_daily")}

    write_items(shop_project, GOOD_ITEMS)
    options = ReexecutionOptions.from_failure(failed_run_id, dagster_instance)
    with execute_job(job, instance=dagster_instance, reexecution_options=options) as retried:
        assert_pipes_clean(dagster_instance, retried.run_id)
        run = dagster_instance.get_run_by_id(retried.run_id)
        assert (run.parent_run_id, run.root_run_id) == (failed_run_id, failed_run_id)
        assert run.status == DagsterRunStatus.SUCCESS, "\n".join(user_messages(dagster_instance, retried.run_id))
        # The fixed model and the downstream it blocked now materialize; the models that
        # succeeded in the parent run are not due and are not materialized again.
        assert materialized_keys(dagster_instance, retried.run_id) == {key("shop.items"), key("shop.items_summary")}
        checks = check_evaluations(retried)
        assert {name for name, e in checks.items() if e.passed} == {
            ("shop.items", "not_null"),
            ("shop.items", "accepted_range"),
            ("shop.items_summary", "number_of_rows"),
        }
        assert all(e.passed for e in checks.values())
    assert evaluated_models(shop_project) == {"shop.items", "shop.items_summary", "shop.events", "shop.events_daily"}
