"""The text console (SQLMeshResource(console="text")) parses SQLMesh's own output, which models
can write into too. test/fixtures/e2e-projects/text: txt.printer prints a line identical in form
to SQLMesh's batch line for txt.victim; "txt"."my model" has a quoted name with a space. What
Dagster records is checked against SQLMesh's state: never a materialization SQLMesh did not do."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetKey, Definitions
from dagster_e2e_helpers import evaluated_models, key, materialized, step_failure_text, user_messages

from sqlmesh_pipes import SQLMeshResource, SQLMeshTranslator, sqlmesh_assets_factory

MY_MODEL = AssetKey(["db", "txt", "my_model"])


class SpacesToUnderscores(SQLMeshTranslator):
    """Dagster keys cannot hold spaces: "txt"."my model" becomes db/txt/my_model."""

    def get_asset_key(self, model):
        return AssetKey([part.replace(" ", "_") for part in super().get_asset_key(model).path])


def run_text(project: Path, instance):
    sqlmesh = SQLMeshResource(project_dir=str(project), console="text", translator=SpacesToUnderscores())
    defs = Definitions(assets=[sqlmesh_assets_factory(sqlmesh_resource=sqlmesh)], resources={"sqlmesh": sqlmesh})
    return defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance, raise_on_error=False)


def test_a_printed_look_alike_never_materializes_a_model_sqlmesh_skipped(text_project, dagster_instance, assert_pipes_clean):
    (text_project / "data" / "flag.csv").write_text("ok\nfalse\n", encoding="utf-8")
    result = run_text(text_project, dagster_instance)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert not result.success
    assert evaluated_models(text_project) == {"txt.printer", "txt.my model"}
    # The quoted name with a space is read, and mapped to its model (not reported "not due").
    assert set(materialized(result)) == {key("txt.printer"), MY_MODEL}
    messages = user_messages(dagster_instance, result.run_id)
    assert any(m.startswith("txt.victim: SQLMesh lists it among the skipped models: not recorded as evaluated") for m in messages), messages
    assert any(m.startswith("txt.victim: not materialized — skipped by SQLMesh") for m in messages), messages
    assert "txt.src fails" in step_failure_text(result)


def test_a_printed_duplicate_of_a_real_batch_line_is_doubt_not_a_guess(text_project, dagster_instance, assert_pipes_clean):
    result = run_text(text_project, dagster_instance)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)
    assert evaluated_models(text_project) == {"txt.src", "txt.victim", "txt.printer", "txt.my model"}
    # SQLMesh did evaluate txt.victim, but its line is printed twice: which one is SQLMesh's cannot
    # be told, so it is not recorded, and the run says why — never a materialization on a guess.
    assert set(materialized(result)) == {key("txt.src"), key("txt.printer"), MY_MODEL}
    messages = user_messages(dagster_instance, result.run_id)
    assert any(m.startswith("txt.victim: batch 1/1 was printed twice: not recorded as evaluated") for m in messages), messages
    assert any(m.startswith("txt.victim: not materialized — batch 1/1 was printed twice") for m in messages), messages
    assert any("unverified: txt.victim" in m for m in messages), messages  # the run's summary line
