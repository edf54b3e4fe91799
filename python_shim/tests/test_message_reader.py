"""Our Pipes message reader hands over whole lines only, so a line caught half written is not lost."""

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetSpec,
    DagsterEventType,
    DagsterInstance,
    PipesTempFileContextInjector,
    materialize,
    multi_asset,
)

from sqlmesh_pipes.message_reader import PipesLineFileMessageReader, whole_lines
from sqlmesh_pipes.session import open_session


def _message(method: str, params: dict) -> bytes:
    return (
        json.dumps({"__dagster_pipes_version": "0.1", "method": method, "params": params}) + "\n"
    ).encode()


def test_whole_lines_waits_for_the_rest_of_a_line(tmp_path: Path) -> None:
    path = tmp_path / "messages"
    path.write_bytes(b"")
    stop = threading.Event()
    read: list[bytes] = []
    reader = threading.Thread(target=lambda: read.extend(whole_lines(str(path), stop)))
    reader.start()
    with open(path, "ab", buffering=0) as f:
        f.write(b'{"a": 1}\n{"b": ')
        time.sleep(0.2)  # the reader reaches the end of the file mid-line, many times
        assert read == [b'{"a": 1}\n']
        f.write(b'2}\n{"c": 3}\n')
    time.sleep(0.1)
    stop.set()
    reader.join()
    assert read == [b'{"a": 1}\n', b'{"b": 2}\n', b'{"c": 3}\n']


def test_whole_lines_hands_over_an_unfinished_last_line_when_stopped(tmp_path: Path) -> None:
    path = tmp_path / "messages"
    path.write_bytes(b'{"a": 1}\n{"b"')
    stop = threading.Event()
    stop.set()
    assert list(whole_lines(str(path), stop)) == [b'{"a": 1}\n', b'{"b"']


# A Pipes writer that splits every message in two writes with a pause between: whatever the
# reader catches at the end of the file is half a line, as a page-crossing write can be.
SLOW_WRITER = """
import json, os, time
from dagster_pipes import decode_env_var
params = decode_env_var(os.environ["DAGSTER_PIPES_MESSAGES"])
def send(method, p):
    line = (json.dumps({"__dagster_pipes_version": "0.1", "method": method, "params": p}) + "\\n").encode()
    with open(params["path"], "ab", buffering=0) as f:
        f.write(line[:20]); f.flush(); time.sleep(0.15); f.write(line[20:])
send("opened", {})
metadata = {"n": {"raw_value": 1, "type": "int"}}
send("report_asset_materialization", {"asset_key": "a", "metadata": metadata, "data_version": None})
send("log", {"message": "half then whole", "level": "INFO"})
send("report_asset_materialization", {"asset_key": "b", "metadata": {}, "data_version": None})
send("closed", {})
"""


def test_a_session_records_every_message_of_a_writer_caught_mid_line() -> None:
    @multi_asset(specs=[AssetSpec("a"), AssetSpec("b")])
    def two(context: AssetExecutionContext):
        with open_session(
            context,
            context_injector=PipesTempFileContextInjector(),
            message_reader=PipesLineFileMessageReader(),
            extras={},
        ) as session:
            env = {**session.get_bootstrap_env_vars(), "PATH": "/usr/bin:/bin"}
            subprocess.run([sys.executable, "-c", SLOW_WRITER], env=env, check=True)
        yield from session.get_results()

    with DagsterInstance.ephemeral() as instance:
        result = materialize([two], instance=instance)
        assert result.success
        logs = instance.all_logs(result.run_id)
    materialized = [
        r.dagster_event.asset_key.to_user_string()
        for r in logs
        if r.dagster_event and r.dagster_event.event_type == DagsterEventType.ASSET_MATERIALIZATION
    ]
    assert materialized == ["a", "b"]
    messages = [r.user_message for r in logs]
    assert "half then whole" in messages
    assert not any("framework exception" in m or "did not receive" in m for m in messages), messages
