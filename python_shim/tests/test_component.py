"""SQLMeshProjectComponent loaded from defs.yaml through Dagster's own component loading
(``DefsFolderSandbox`` over a defs folder in tmp_path), on a copy of examples/sqlmesh_project with
the fixture manifest; the executor is the fake CLI."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from dagster import AssetKey, Definitions, FreshnessPolicy
from dagster.components import build_defs_for_component
from dagster.components.testing import DefsFolderSandbox, random_importable_name
from shim_helpers import EXAMPLE_MANIFEST, FAKE_CLI

from sqlmesh_pipes import SQLMeshPipesDefinitionError, SQLMeshResource, read_manifest_file
from sqlmesh_pipes.component import SQLMeshProjectComponent

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PROJECT = ROOT / "examples" / "sqlmesh_project"
TYPE = "sqlmesh_pipes.component.SQLMeshProjectComponent"
MODELS = [m.name for m in read_manifest_file(EXAMPLE_MANIFEST).models]
FAKE_EXECUTOR = {"executor_path": str(FAKE_CLI), "node_executable": sys.executable}

# Dagster's own component loading uses its beta / preview APIs; not ours to fix.
pytestmark = [
    pytest.mark.filterwarnings("ignore::dagster.BetaWarning"),
    pytest.mark.filterwarnings("ignore::dagster.PreviewWarning"),
]


def project_dirs(resource: SQLMeshResource) -> list[str]:
    """``project_dir`` as a list (a single path or a list, whichever the resource holds)."""
    value = resource.project_dir
    return [value] if isinstance(value, str) else list(value)


def model_key(model: str, *prefix: str) -> AssetKey:
    return AssetKey([*prefix, "shop", *model.split(".")])


@pytest.fixture
def sandbox(tmp_path: Path) -> DefsFolderSandbox:
    """A dg project in tmp_path: src/<name>/defs, and the example SQLMesh project beside src/."""
    name = random_importable_name()
    defs = tmp_path / "src" / name / "defs"
    defs.mkdir(parents=True)
    project = shutil.copytree(EXAMPLE_PROJECT, tmp_path / "sqlmesh_project")
    shutil.copyfile(EXAMPLE_MANIFEST, project / "sqlmesh-pipes-manifest.json")
    return DefsFolderSandbox(project_root=tmp_path, defs_folder_path=defs, project_name=name)


def write_defs(sandbox: DefsFolderSandbox, attributes: dict[str, Any], name: str = "sqlmesh") -> Path:
    folder = sandbox.defs_folder_path / name
    folder.mkdir()
    document = {"type": TYPE, "attributes": {**FAKE_EXECUTOR, **attributes}}
    (folder / "defs.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return folder


def load(
    sandbox: DefsFolderSandbox, attributes: dict[str, Any]
) -> tuple[SQLMeshProjectComponent, Definitions]:
    with sandbox.load_component_and_build_defs(defs_path=write_defs(sandbox, attributes)) as (
        component,
        defs,
    ):
        assert isinstance(component, SQLMeshProjectComponent)
        return component, defs


def causes(error: BaseException | None) -> Iterator[BaseException]:
    """The error and what it was raised from (Dagster wraps component load errors)."""
    while error is not None:
        yield error
        error = error.__cause__ or error.__context__


def load_error(sandbox: DefsFolderSandbox, attributes: dict[str, Any]) -> str:
    """The message of the SQLMeshPipesDefinitionError behind the load failure."""
    with pytest.raises(Exception) as info:
        load(sandbox, attributes)
    ours = [e for e in causes(info.value) if isinstance(e, SQLMeshPipesDefinitionError)]
    assert ours, f"no SQLMeshPipesDefinitionError behind {info.value!r}"
    return str(ours[0])


# Relative to the defs.yaml folder: <root>/src/<name>/defs/sqlmesh/defs.yaml.
RELATIVE_PROJECT = "../../../../sqlmesh_project"


@pytest.fixture(autouse=True)
def _fake_cli_schedule(scenario) -> Iterator[None]:
    scenario()  # the fake CLI answers `schedule` with cron "0 * * * *"
    yield


def test_yaml_component_keys_group_tags_and_schedule(sandbox):
    component, defs = load(
        sandbox,
        {
            "project": RELATIVE_PROJECT,
            "translation": {
                "key_prefix": "warehouse",
                "group_name": "wh",
                "tags": {"team": "data", "tier": 1},
            },
            "op_tags": {"team": "data"},
        },
    )
    assert component.project == str(sandbox.project_root / "sqlmesh_project")  # relative to defs.yaml
    graph = defs.resolve_asset_graph()
    materializable = {key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable}
    assert materializable == {model_key(m, "warehouse") for m in MODELS}
    # External tables keep their keys (the prefix is for the project's models) and take the group.
    external = graph.get(AssetKey(["shop", "landing", "orders"]))
    assert not external.is_materializable and external.group_name == "wh"

    # Every example model has a dagster:group_name tag, which wins over the component's group.
    orders = graph.get(model_key("staging.orders", "warehouse"))
    assert orders.group_name == "staging"
    assert orders.tags["team"] == "data" and orders.tags["tier"] == "1"
    assert graph.get(model_key("raw.customers", "warehouse")).tags["pii"] == ""  # SQLMesh tags stay
    # Deps use the prefixed keys too.
    assert (
        model_key("staging.orders", "warehouse")
        in graph.get(model_key("analytics.fct_order_lines", "warehouse")).parent_keys
    )

    assert isinstance(defs.resources["sqlmesh"], SQLMeshResource)
    schedule = defs.resolve_schedule_def("sqlmesh_adaptive_schedule")  # on by default
    assert schedule.cron_schedule == "0 * * * *" and schedule.job_name == "sqlmesh_job"


def test_row_counts_and_time_partitions_reach_the_factory(sandbox):
    component, _ = load(
        sandbox,
        {
            "project": RELATIVE_PROJECT,
            "enable_schedule": False,
            "fetch_row_counts": True,
            "time_partitions": "day",
        },
    )
    kwargs = component.factory_kwargs()
    assert (kwargs["fetch_row_counts"], kwargs["time_partitions"]) == (True, "day")


def test_defaults_without_translation_and_schedule_off(sandbox):
    _, defs = load(sandbox, {"project": RELATIVE_PROJECT, "enable_schedule": False, "job_name": "nightly"})
    graph = defs.resolve_asset_graph()
    assert model_key("staging.orders") in graph.get_all_asset_keys()
    assert graph.get(AssetKey(["shop", "landing", "orders"])).group_name == "landing"  # its schema
    assert not list(defs.schedules or [])
    assert defs.resolve_job_def("nightly") is not None


def test_project_root_template_and_env_template(sandbox, monkeypatch):
    monkeypatch.setenv("SQLMESH_GATEWAY_FOR_TEST", "scratch")
    component, defs = load(
        sandbox,
        {
            "project": "{{ context.project_root }}/sqlmesh_project",
            "gateway": "{{ env.SQLMESH_GATEWAY_FOR_TEST }}",
            "enable_schedule": False,
        },
    )
    resource = defs.resources["sqlmesh"]
    assert component.project_dirs == [str(sandbox.project_root / "sqlmesh_project")]
    assert project_dirs(resource) == component.project_dirs
    assert resource.gateway == "scratch"


def test_dg_sqlmesh_spelling_means_the_same(sandbox):
    common = {"op_tags": {"team": "data"}, "schedule_name": "hourly", "enable_schedule": True}
    _, ours = load(
        sandbox,
        {
            **common,
            "project": RELATIVE_PROJECT,
            "gateway": "local",
            "environment": "dev",
            "concurrency_limit": 2,
            "translation": {"group_name": "sqlmesh"},
        },
    )
    theirs_sandbox = DefsFolderSandbox(
        project_root=sandbox.project_root,
        defs_folder_path=sandbox.defs_folder_path.parent.parent / (name := random_importable_name()) / "defs",
        project_name=name,
    )
    theirs_sandbox.defs_folder_path.mkdir(parents=True)
    _, theirs = load(
        theirs_sandbox,
        {
            **common,
            # dg-sqlmesh's README writes the path with Dagster's older `{{ project_root }}` (deprecated).
            "sqlmesh_config": {
                "project_path": "{{ project_root }}/sqlmesh_project",
                "gateway": "local",
                "environment": "dev",
            },
            "concurrency_jobs_limit": 2,
            "default_group_name": "sqlmesh",
        },
    )

    def summary(defs: Definitions) -> dict[str, Any]:
        resource = defs.resources["sqlmesh"]
        graph = defs.resolve_asset_graph()
        return {
            "resource": resource.model_dump(),
            "groups": {key: graph.get(key).group_name for key in graph.get_all_asset_keys()},
            "schedules": {(s.name, s.job_name, s.cron_schedule) for s in defs.schedules or []},
        }

    assert summary(ours) == summary(theirs)
    resource = ours.resources["sqlmesh"]
    assert (resource.gateway, resource.environment, resource.concurrency_limit) == ("local", "dev", 2)
    assert summary(ours)["groups"][AssetKey(["shop", "landing", "orders"])] == "sqlmesh"


@pytest.mark.parametrize(
    ("ours", "theirs", "attributes"),
    [
        (
            "project",
            "sqlmesh_config.project_path",
            {"project": RELATIVE_PROJECT, "sqlmesh_config": {"project_path": RELATIVE_PROJECT}},
        ),
        (
            "gateway",
            "sqlmesh_config.gateway",
            {"gateway": "local", "sqlmesh_config": {"project_path": RELATIVE_PROJECT, "gateway": "local"}},
        ),
        (
            "environment",
            "sqlmesh_config.environment",
            {
                "environment": "prod",
                "sqlmesh_config": {"project_path": RELATIVE_PROJECT, "environment": "dev"},
            },
        ),
        (
            "concurrency_limit",
            "concurrency_jobs_limit",
            {"project": RELATIVE_PROJECT, "concurrency_limit": 1, "concurrency_jobs_limit": 1},
        ),
        (
            "translation.group_name",
            "default_group_name",
            {"project": RELATIVE_PROJECT, "translation": {"group_name": "a"}, "default_group_name": "b"},
        ),
    ],
)
def test_both_spellings_of_one_setting_is_an_error(sandbox, ours, theirs, attributes):
    message = load_error(sandbox, attributes)
    assert f"`{ours}` and `{theirs}`" in message and "keep one" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({}, "needs the SQLMesh project: set `project`"),
        ({"project": "../nowhere"}, "attribute `project`: "),
        (
            {"project": RELATIVE_PROJECT, "concurrency_limit": 0},
            "`concurrency_limit` must be a whole number >= 1",
        ),
        ({"project": RELATIVE_PROJECT, "concurrency_limit": "many"}, "got 'many' (str)"),
        ({"project": RELATIVE_PROJECT, "enable_schedule": "yes"}, "`enable_schedule` must be true or false"),
        (
            {"project": RELATIVE_PROJECT, "fetch_row_counts": "yes"},
            "`fetch_row_counts` must be true or false",
        ),
        (
            {"project": RELATIVE_PROJECT, "time_partitions": "weekly"},
            "`time_partitions` must be true, false or one of year, month, day, hour",
        ),
        ({"project": []}, "`project` must be a folder path or a non-empty list"),
        (
            {"project": RELATIVE_PROJECT, "translation": {"key_prefix": []}},
            "`translation.key_prefix` must be a string or a list of key parts",
        ),
        (
            {"project": RELATIVE_PROJECT, "translation": {"freshness_lag_minutes": -5}},
            "`translation.freshness_lag_minutes` must be a whole number of minutes >= 0, or null",
        ),
    ],
)
def test_bad_input_is_one_clear_line(sandbox, attributes, expected):
    message = load_error(sandbox, attributes)
    assert expected in message and "SQLMeshProjectComponent" in message
    assert "\n" not in message


def test_unknown_attribute_is_rejected_with_its_name(sandbox):
    with pytest.raises(Exception) as info:
        load(sandbox, {"project": RELATIVE_PROJECT, "concurency_limit": 2})
    # Dagster's schema check names the key, the file and the line (`dg check defs` shows the snippet).
    assert any(
        "attributes.concurency_limit at " in str(e) and "defs.yaml:" in str(e) for e in causes(info.value)
    )


@pytest.mark.parametrize(("lag", "window"), [(90, timedelta(days=1, minutes=90)), (None, None)])
def test_freshness_lag_minutes(sandbox, lag, window):
    _, defs = load(
        sandbox,
        {
            "project": RELATIVE_PROJECT,
            "translation": {"freshness_lag_minutes": lag},
            "enable_schedule": False,
        },
    )
    policy = defs.resolve_asset_graph().get(model_key("analytics.daily_revenue")).freshness_policy
    assert policy == (None if window is None else FreshnessPolicy.time_window(fail_window=window))


def test_external_asset_mapping_and_owners(sandbox):
    _, defs = load(
        sandbox,
        {
            "project": RELATIVE_PROJECT,
            "external_asset_mapping": "sling/{node.schema}/{node.name}",
            "owners": ["team:analytics"],
            "enable_schedule": False,
        },
    )
    graph = defs.resolve_asset_graph()
    fct = graph.get(model_key("analytics.fct_order_lines"))
    assert "team:analytics" in fct.owners
    assert AssetKey(["sling", "landing", "orders"]) in graph.get(model_key("staging.orders")).parent_keys


def test_external_asset_mapping_with_a_translation(sandbox):
    _, defs = load(
        sandbox,
        {
            "project": RELATIVE_PROJECT,
            "external_asset_mapping": "sling/{node.name}",
            "translation": {"key_prefix": ["wh"]},
            "enable_schedule": False,
        },
    )
    graph = defs.resolve_asset_graph()
    assert AssetKey(["sling", "orders"]) in graph.get(model_key("staging.orders", "wh")).parent_keys


def test_several_projects_are_passed_as_a_list(sandbox):
    first = sandbox.project_root / "sqlmesh_project"
    second = shutil.copytree(first, sandbox.project_root / "second")
    component, defs = load(
        sandbox,
        {
            "project": [RELATIVE_PROJECT, "../../../../second"],
            "manifest_path": f"{RELATIVE_PROJECT}/sqlmesh-pipes-manifest.json",
            "enable_schedule": False,
        },
    )
    assert component.factory_kwargs()["project_dir"] == [str(first), str(second)]
    assert project_dirs(defs.resources["sqlmesh"]) == [str(first), str(second)]
    assert defs.resources["sqlmesh"].manifest_path == str(first / "sqlmesh-pipes-manifest.json")


def test_python_instantiation(sandbox):
    component = SQLMeshProjectComponent(
        project=str(sandbox.project_root / "sqlmesh_project"), enable_schedule=False, **FAKE_EXECUTOR
    )
    defs = build_defs_for_component(component)
    assert model_key("staging.orders") in defs.resolve_asset_graph().get_all_asset_keys()


def test_scaffold_writes_a_defs_yaml_that_loads(sandbox):
    folder = sandbox.scaffold_component(
        component_cls=SQLMeshProjectComponent,
        defs_path="scaffolded",
        scaffold_params={"project_path": str(sandbox.project_root / "sqlmesh_project"), "gateway": "local"},
    )
    document = yaml.safe_load((folder / "defs.yaml").read_text())
    assert document == {
        "type": TYPE,
        "attributes": {"project": "{{ context.project_root }}/sqlmesh_project", "gateway": "local"},
    }
    document["attributes"].update(FAKE_EXECUTOR)
    (folder / "defs.yaml").write_text(yaml.safe_dump(document))
    with sandbox.load_component_and_build_defs(defs_path=folder) as (_, defs):
        assert model_key("staging.orders") in defs.resolve_asset_graph().get_all_asset_keys()


def test_scaffold_python_format_writes_a_component_py_that_loads(sandbox):
    folder = sandbox.scaffold_component(
        component_cls=SQLMeshProjectComponent,
        defs_path="in_python",
        scaffold_format="python",
        scaffold_params={
            "project_path": [str(sandbox.project_root / "sqlmesh_project")],
            "enable_schedule": False,
        },
    )
    source = (folder / "component.py").read_text()
    assert "project=str(context.project_root / 'sqlmesh_project')" in source
    with sandbox.load_component_and_build_defs(defs_path=folder) as (_, defs):
        assert model_key("staging.orders") in defs.resolve_asset_graph().get_all_asset_keys()
        assert not list(defs.schedules or [])


def test_scaffold_rejects_a_missing_project_and_leaves_no_folder(sandbox):
    with pytest.raises(Exception, match="--project-path .*nowhere is not a directory"):
        sandbox.scaffold_component(
            component_cls=SQLMeshProjectComponent,
            defs_path="missing",
            scaffold_params={"project_path": str(sandbox.project_root / "nowhere")},
        )
    assert not (sandbox.defs_folder_path / "missing").exists()
