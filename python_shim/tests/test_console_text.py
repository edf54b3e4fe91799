"""The JSON console's text fallbacks: the same cases as the executor's text grammar
(test/sqlmesh/text-grammar.test.ts), read from one file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sqlmesh_pipes_console.json_console import _AUDIT_WARNING, next_ready_at, strip_fqn

CASES = json.loads(
    (
        Path(__file__).resolve().parents[2] / "test" / "fixtures" / "contracts" / "sqlmesh-text.json"
    ).read_text()
)


@pytest.mark.parametrize("case", CASES["next_ready"], ids=lambda c: c["iso"])
def test_next_ready_at(case):
    assert next_ready_at(f"No models are ready to run.\n\n{case['text']}") == case["iso"]


@pytest.mark.parametrize("case", CASES["audit_warnings"], ids=lambda c: c["audit"])
def test_audit_warning(case):
    match = _AUDIT_WARNING.match(case["text"])
    assert match is not None
    model, audit, rows = match.groups()
    assert (model.strip(), audit, int(rows)) == (case["model"], case["audit"], case["rows"])


@pytest.mark.parametrize("text", CASES["not_audit_warnings"])
def test_not_an_audit_warning(text):
    assert _AUDIT_WARNING.match(text) is None


@pytest.mark.parametrize(
    ("fqn", "name"),
    [
        ('"db"."demo"."orders"', "demo.orders"),
        ('"demo"."orders"', "demo.orders"),
        ('"db"."we.ird"."x""y"', '"we.ird"."x""y"'),
        ('"db"."my schema"."t"', '"my schema".t'),
    ],
)
def test_strip_fqn_matches_the_executors(fqn, name):
    # The executor's stripFqn gives the same names (test/sqlmesh/parse-text.test.ts).
    assert strip_fqn(fqn) == name
