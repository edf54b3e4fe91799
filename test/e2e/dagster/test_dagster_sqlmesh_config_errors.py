"""Configuration errors and a stale manifest, through real Dagster on the shop project.

A configuration error is the user's to fix: the step fails at once with one line naming the
problem and the fix (no retry), the executor exits 2 and `closed` carries the exception. A
manifest that no longer matches what SQLMesh runs is named in the run, never silent."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from dagster import Definitions, multi_asset
from dagster_e2e_helpers import evaluated_models, key, materialized, step_failure_text, user_messages

from sqlmesh_pipes import SQLMeshResource, sqlmesh_assets_factory

ROOT = Path(__file__).resolve().parents[3]
SQLMESH = [str(ROOT / ".venv" / "bin" / "python"), "-c", "import sys; from sqlmesh.cli.main import cli; sys.exit(cli())"]


def run(project: Path, instance, **resource):
    sqlmesh = SQLMeshResource(project_dir=str(project), **resource)
    defs = Definitions(assets=[sqlmesh_assets_factory(sqlmesh_resource=sqlmesh)], resources={"sqlmesh": sqlmesh})
    return defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance, raise_on_error=False)


def test_an_unknown_environment_fails_the_step_with_the_fix(shop_project, dagster_instance, assert_pipes_clean, closed_exception):  # noqa: E501
    result = run(shop_project, dagster_instance, environment="nope")
    assert_pipes_clean(dagster_instance, result.run_id)
    assert not result.success
    failure = step_failure_text(result)
    fix = (
        "SQLMesh environment 'nope' was not found — apply a plan to it first (sqlmesh plan nope), "
        "or pass the name of an existing environment (--environment)"
    )
    assert "exited with code 2 (usage or configuration error)" in failure and fix in failure, failure
    assert result.get_step_failure_events()[0].event_specific_data.user_failure_data is not None
    error = closed_exception(dagster_instance, result.run_id)
    assert (error.cls_name, error.message) == ("ConfigurationError", fix)
    messages = user_messages(dagster_instance, result.run_id)
    assert not any("not materialized" in m for m in messages), messages  # no 14 lines of noise
    assert evaluated_models(shop_project) == set()


def test_start_after_end_is_a_configuration_error(shop_project, dagster_instance, assert_pipes_clean, closed_exception):
    sqlmesh = SQLMeshResource(project_dir=str(shop_project))
    factory_assets = sqlmesh_assets_factory(sqlmesh_resource=sqlmesh)

    # The same assets, run over an explicit window (SQLMeshResource.run's start/end).
    @multi_asset(specs=list(factory_assets.specs), can_subset=True, required_resource_keys={"sqlmesh"}, name="window")
    def window(context):  # not annotated: `from __future__ import annotations` makes it a string
        yield from context.resources.sqlmesh.run(context, start="2024-01-05", end="2024-01-01")

    defs = Definitions(assets=[window], resources={"sqlmesh": sqlmesh})
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=dagster_instance, raise_on_error=False)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert not result.success
    message = '--start "2024-01-05" is after --end "2024-01-01" — swap them or fix the window'
    assert message in step_failure_text(result)
    assert closed_exception(dagster_instance, result.run_id).message == message
    assert evaluated_models(shop_project) == set()


def test_a_model_added_after_the_manifest_is_named_as_stale(shop_project, dagster_instance, assert_pipes_clean):
    # A new model is planned into prod; the manifest (built before) does not know it.
    (shop_project / "models" / "added.sql").write_text("MODEL (name shop.added, kind FULL, cron '@daily');\nSELECT 1 AS x\n")
    subprocess.run([*SQLMESH, "plan", "--auto-apply", "--no-prompts", "--skip-backfill"], cwd=shop_project, check=True, capture_output=True)
    result = run(shop_project, dagster_instance)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)
    assert "shop.added" in evaluated_models(shop_project)
    assert key("shop.added") not in materialized(result)
    messages = user_messages(dagster_instance, result.run_id)
    stale = [m for m in messages if m.startswith("The manifest is stale.")]
    assert stale, messages
    assert "SQLMesh evaluated 1 model(s) the manifest does not know (not recorded in Dagster): shop.added" in stale[0]
    assert "regenerate the manifest (sqlmesh-pipes manifest --project DIR --out FILE)" in stale[0]
    assert any("manifest stale for: shop.added (regenerate it)" in m for m in messages), messages


def test_a_model_changed_after_the_manifest_is_named_as_stale(shop_project, dagster_instance, assert_pipes_clean):
    items = shop_project / "models" / "items_summary.sql"
    items.write_text(items.read_text().replace("SUM(amount) AS total", "SUM(amount) AS total, MAX(amount) AS biggest"))
    subprocess.run([*SQLMESH, "plan", "--auto-apply", "--no-prompts", "--skip-backfill"], cwd=shop_project, check=True, capture_output=True)
    result = run(shop_project, dagster_instance)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)
    messages = user_messages(dagster_instance, result.run_id)
    stale = [m for m in messages if m.startswith("The manifest is stale.")]
    assert stale, messages
    assert "in this step are defined differently in SQLMesh's environment than in the manifest: shop.items_summary" in stale[0]


def test_an_up_to_date_manifest_gives_no_warning(shop_project, dagster_instance):
    shutil.rmtree(shop_project / "logs", ignore_errors=True)
    result = run(shop_project, dagster_instance)
    assert result.success, step_failure_text(result)
    assert not any(m.startswith("The manifest is stale.") for m in user_messages(dagster_instance, result.run_id))
