"""Fixtures for the Pipes protocol e2e tests: the compiled dist/pipes and the Node fixture programs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DIST_PIPES = ROOT / "dist" / "pipes"
SOURCES = ROOT / "src" / "pipes"
FIXTURES = ROOT / "test" / "fixtures" / "pipes"


def _newest_mtime(folder: Path, pattern: str) -> float:
    return max((path.stat().st_mtime for path in folder.rglob(pattern)), default=0.0)


@pytest.fixture(scope="session", autouse=True)
def built_pipes_dist() -> Path:
    """dist/pipes compiled from the current src/pipes (`npm test` builds first; this covers a bare pytest run)."""
    if _newest_mtime(DIST_PIPES, "*.js") < _newest_mtime(SOURCES, "*.ts"):
        build = subprocess.run(["npm", "run", "--silent", "build"], cwd=ROOT, capture_output=True, text=True)
        # Another module's type error fails tsc without stopping it from emitting dist/pipes.
        if _newest_mtime(DIST_PIPES, "*.js") < _newest_mtime(SOURCES, "*.ts"):
            pytest.fail(f"`npm run build` did not produce dist/pipes:\n{build.stdout}\n{build.stderr}")
    return DIST_PIPES


@pytest.fixture(scope="session")
def scenario_command(node_bin: str) -> list[str]:
    """The command running test/fixtures/pipes/scenario.mjs (the scenario is chosen by the `scenario` extra)."""
    return [node_bin, str(FIXTURES / "scenario.mjs")]
