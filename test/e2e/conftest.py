"""Shared helpers for the real-Dagster end-to-end tests (everything under test/e2e).

Generic on purpose: an ephemeral Dagster instance per test, the run's log messages, and the
one assertion every e2e test makes — Dagster's Pipes machinery reported no problem. A Pipes
reader thread that dies (bad line, wrong params) or a missing `closed` only shows up as a
log line or engine event, while the step can still look green.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance

REPO_ROOT = Path(__file__).resolve().parents[2]
DIST = REPO_ROOT / "dist"

# Substrings of the warnings / engine events Dagster emits when the Pipes exchange went wrong.
PIPES_PROBLEM_MARKERS = (
    "[pipes] framework exception",
    "did not receive closed message",
    "did not receive any messages",
    "unexpected message received after closed",
)


def run_log_messages(instance: DagsterInstance, run_id: str) -> list[str]:
    """Every user message and Dagster event message logged for the run."""
    messages: list[str] = []
    for record in instance.all_logs(run_id):
        if record.user_message:
            messages.append(record.user_message)
        if record.dagster_event is not None and record.dagster_event.message:
            messages.append(record.dagster_event.message)
    return messages


def pipes_problems(instance: DagsterInstance, run_id: str) -> list[str]:
    """The run's log messages that report a broken Pipes exchange."""
    return [message for message in run_log_messages(instance, run_id) if any(marker in message for marker in PIPES_PROBLEM_MARKERS)]


def assert_no_pipes_problems(instance: DagsterInstance, run_id: str) -> None:
    """Fail if Dagster logged a Pipes framework exception or a missing opened/closed message."""
    problems = pipes_problems(instance, run_id)
    assert not problems, "Dagster reported Pipes problems:\n" + "\n---\n".join(problems)


def closed_exception_of(instance: DagsterInstance, run_id: str):
    """The error `closed` carried (Dagster's "closed with exception" engine event)."""
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is not None and event.message == "[pipes] external process pipes closed with exception":
            return event.engine_event_data.error
    raise AssertionError("`closed` carried no exception")


def _newest_mtime(folder: Path, pattern: str) -> float:
    return max((path.stat().st_mtime for path in folder.rglob(pattern)), default=0.0)


@pytest.fixture(scope="session", autouse=True)
def built_dist() -> Path:
    """dist/ compiled from the current src/ (`npm test` builds first; this covers a bare pytest run)."""
    if not (DIST / "cli.js").is_file() or _newest_mtime(DIST, "*.js") < _newest_mtime(REPO_ROOT / "src", "*.ts"):
        build = subprocess.run(["npm", "run", "--silent", "build"], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        if build.returncode != 0:
            pytest.fail(f"`npm run build` failed:\n{build.stdout}\n{build.stderr}")
    return DIST


@pytest.fixture
def dagster_instance() -> Iterator[DagsterInstance]:
    """A fresh in-memory Dagster instance (fast; nothing on disk)."""
    with DagsterInstance.ephemeral() as instance:
        yield instance


@pytest.fixture
def closed_exception() -> Callable[[DagsterInstance, str], object]:
    """`closed_exception(instance, run_id)`: see `closed_exception_of`."""
    return closed_exception_of


@pytest.fixture
def assert_pipes_clean() -> Callable[[DagsterInstance, str], None]:
    """`assert_pipes_clean(instance, run_id)`: see `assert_no_pipes_problems`."""
    return assert_no_pipes_problems


@pytest.fixture(scope="session")
def node_bin() -> str:
    """Path of the `node` executable (the tests launch Node programs through Pipes)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH; the e2e tests launch Node programs")
    return node


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[dict[str, object]]:
    """A throwaway PostgreSQL server on 127.0.0.1 for the session (scripts/postgres.mjs installs it
    when missing, starts it, and removes it at the end): ``{host, port, user, dir, url}``."""
    script = str(REPO_ROOT / "scripts" / "postgres.mjs")
    started = subprocess.run(["node", script, "start"], capture_output=True, text=True, check=False)
    if started.returncode != 0:
        pytest.fail(f"PostgreSQL did not start: {started.stderr.strip()}")
    server = json.loads(started.stdout)
    try:
        yield server
    finally:
        subprocess.run(["node", script, "stop", "--dir", str(server["dir"])], capture_output=True, check=False)
