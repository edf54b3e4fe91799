from __future__ import annotations

import json

import pytest
from shim_helpers import EXAMPLE_MANIFEST, audit, example_manifest, manifest, model

from sqlmesh_pipes import SQLMeshPipesManifestError, load_manifest
from sqlmesh_pipes.manifest import MANIFEST_VERSION, parse_manifest


def test_parses_every_field():
    m = parse_manifest(example_manifest())
    orders = m.models_by_name["staging.orders"]
    assert orders.fqn == '"db"."staging"."orders"'
    assert orders.audits[1].name == "not_null" and orders.audits[1].blocking is False
    assert orders.columns[0].description == "order id"
    assert m.external_models_by_fqn['"db"."raw"."orders"'].table == "orders"
    assert m.models_by_fqn[orders.fqn] is orders


def test_example_fixture_matches_the_schema():
    if not EXAMPLE_MANIFEST.exists():
        pytest.skip("example_manifest.json not generated yet")
    m = load_manifest(EXAMPLE_MANIFEST)
    assert m.manifest_version == MANIFEST_VERSION
    assert m.models


def test_version_mismatch_names_both_versions_and_the_fix(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(manifest([], manifest_version=2)))
    with pytest.raises(
        SQLMeshPipesManifestError, match=r"manifest_version 2 but this sqlmesh_pipes reads version 1"
    ):
        load_manifest(path, hint="run X")


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["models"][0].pop("cron"), r"\$\.models\[0\]: missing key\(s\) \['cron'\]"),
        (lambda d: d["models"][0].update(extra=1), r"\$\.models\[0\]: unknown key\(s\) \['extra'\]"),
        (lambda d: d["models"][0].update(tags="a"), r"\$\.models\[0\]\.tags: expected a list of strings"),
        (
            lambda d: d["models"][0]["audits"][0].update(blocking="yes"),
            r"audits\[0\]\.blocking: expected a boolean",
        ),
        (
            lambda d: d["models"][0]["columns"][0].update(type=3),
            r"columns\[0\]\.type: expected a string or null",
        ),
        (lambda d: d.update(dialect=None), r"\$\.dialect: expected a string"),
        (lambda d: d.pop("external_models"), r"\$: missing key\(s\) \['external_models'\]"),
    ],
)
def test_strict_shape_errors_say_where(mutate, where):
    data = manifest([model("s.a", audits=[audit("not_null")])])
    mutate(data)
    with pytest.raises(SQLMeshPipesManifestError, match=where):
        parse_manifest(data)


def test_duplicate_model_name():
    with pytest.raises(SQLMeshPipesManifestError, match="lists model 's.a' twice"):
        parse_manifest(manifest([model("s.a"), model("s.a")]))


def test_missing_file_gives_the_command(tmp_path):
    with pytest.raises(SQLMeshPipesManifestError, match="not found at .*: generate it with"):
        load_manifest(tmp_path / "nope.json", hint="generate it with `node cli.js manifest`")


def test_not_json(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("{")
    with pytest.raises(SQLMeshPipesManifestError, match="is not valid JSON"):
        load_manifest(path)


def test_cached_until_the_file_changes(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(manifest([model("s.a")])))
    first = load_manifest(path)
    assert load_manifest(path) is first
    path.write_text(json.dumps(manifest([model("s.a"), model("s.b")])))
    assert len(load_manifest(path).models) == 2
