"""Fixtures for the Pipes protocol e2e tests: the compiled dist/pipes and the Node fixture programs."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "test" / "fixtures" / "pipes"


@pytest.fixture(scope="session")
def scenario_command(node_bin: str) -> list[str]:
    """The command running test/fixtures/pipes/scenario.mjs (the scenario is chosen by the `scenario` extra)."""
    return [node_bin, str(FIXTURES / "scenario.mjs")]
