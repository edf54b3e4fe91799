"""The TypeScript Pipes module against the real Dagster: materialize @multi_assets through the real
PipesSubprocessClient (and open_pipes_session for the transports that client does not use),
launching test/fixtures/pipes/scenario.mjs, and assert on Dagster's event log and results."""

import json
import math
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from dagster import (
    AssetCheckKey,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MetadataValue,
    PipesEnvContextInjector,
    PipesFileMessageReader,
    PipesSubprocessClient,
    PipesTempFileContextInjector,
    PipesTempFileMessageReader,
    TableColumn,
    TableColumnConstraints,
    TableColumnDep,
    TableColumnLineage,
    TableRecord,
    TableSchema,
    materialize,
    multi_asset,
    open_pipes_session,
)
from dagster._core.pipes.client import PipesMessageReader
from dagster_pipes import PIPES_PROTOCOL_VERSION_FIELD

MULTI_PART = AssetKey(["shop", "orders"])  # sent as the escaped string "shop/orders", echoed back exactly

CHECKS = [
    {"assetKey": "first", "checkName": "not_null", "passed": True, "severity": "ERROR", "metadata": {"rows": 3}},
    {"assetKey": "first", "checkName": "positive", "passed": False, "severity": "WARN"},
]

SPECS = [AssetSpec("first"), AssetSpec(MULTI_PART), AssetSpec("third")]
CHECK_SPECS = [AssetCheckSpec("not_null", asset="first"), AssetCheckSpec("positive", asset="first")]


def expected_full_metadata() -> dict:
    columns = [
        TableColumn("id", "int", constraints=TableColumnConstraints(nullable=False, unique=True)),
        TableColumn("name", "string", description="the name", tags={"pii": "no"}),
        TableColumn("price", "float"),
        TableColumn("active", "bool"),
        TableColumn("note", "string", constraints=TableColumnConstraints(other=["free text"])),
    ]
    return {
        "infer_text": MetadataValue.text("plain"),
        "infer_int": MetadataValue.int(7),
        "infer_null": MetadataValue.null(),
        "text": MetadataValue.text('héllo "wörld" ✓'),
        "url": MetadataValue.url("https://dagster.io/"),
        "path": MetadataValue.path("/tmp/some/file.csv"),
        "notebook": MetadataValue.notebook("/tmp/analysis.ipynb"),
        "json": MetadataValue.json({"nested": [1, 2.5, None, "ü"], "ok": True}),
        "md": MetadataValue.md("# Title\n\n*emphasis*"),
        "float_whole": MetadataValue.float(2.0),
        "float_frac": MetadataValue.float(0.1),
        "float_null": MetadataValue.float(None),
        "int": MetadataValue.int(42),
        "int_big": MetadataValue.int(12345678901234567890),
        "bool": MetadataValue.bool(False),
        "dagster_run": MetadataValue.dagster_run("0123abcd-0000-0000-0000-000000000000"),
        "asset": MetadataValue.asset(AssetKey(["upstream", "orders"])),
        "null": MetadataValue.null(),
        "table": MetadataValue.table(
            records=[
                TableRecord({"id": 1, "name": "a", "price": 2.5, "active": True, "note": None}),
                TableRecord({"id": 2, "name": "b", "price": 3, "active": False, "note": "x"}),
            ],
            schema=TableSchema(columns=columns),
        ),
        "table_schema": MetadataValue.table_schema(
            TableSchema(
                columns=[
                    TableColumn(
                        "id",
                        "int",
                        description="primary key",
                        constraints=TableColumnConstraints(nullable=False, unique=True, other=["> 0"]),
                    ),
                    TableColumn("amount", "decimal(10,2)", tags={"unit": "EUR"}),
                ]
            )
        ),
        "table_column_lineage": MetadataValue.column_lineage(
            TableColumnLineage(
                deps_by_column={
                    "amount": [
                        TableColumnDep(asset_key=AssetKey(["upstream", "orders"]), column_name="price"),
                        TableColumnDep(asset_key=AssetKey(["upstream", "with/slash"]), column_name="qty"),
                    ]
                }
            )
        ),
        "timestamp": MetadataValue.timestamp(1700000000.5),
    }


def full_assets(client_kwargs: dict, scenario_command: list[str], sink: dict, **extras):
    @multi_asset(specs=SPECS, check_specs=CHECK_SPECS)
    def full(context: AssetExecutionContext):
        client = PipesSubprocessClient(**client_kwargs)
        invocation = client.run(
            context=context,
            command=scenario_command,
            extras={"scenario": "full", "checks": CHECKS, **extras},
        )
        sink["custom"] = invocation.get_custom_messages()
        yield from invocation.get_results()

    return full


def assert_full_run(result, instance, assert_pipes_clean, sink) -> None:
    assert result.success
    assert_pipes_clean(instance, result.run_id)
    mats = {m.asset_key: m for m in result.get_asset_materialization_events()}
    assert set(mats) == {AssetKey("first"), MULTI_PART, AssetKey("third")}
    first = mats[AssetKey("first")].materialization
    metadata = dict(first.metadata)
    nan = metadata.pop("float_nan")
    assert math.isnan(nan.value)
    assert metadata == expected_full_metadata()
    assert first.tags["dagster/data_version"] == "v-first"
    assert mats[MULTI_PART].materialization.tags["dagster/data_version"] == "v-shop/orders"

    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluations["not_null"].passed is True
    assert evaluations["not_null"].severity == AssetCheckSeverity.ERROR
    assert evaluations["not_null"].metadata == {"rows": MetadataValue.int(3)}
    assert evaluations["positive"].passed is False
    assert evaluations["positive"].severity == AssetCheckSeverity.WARN
    assert evaluations["positive"].asset_check_key == AssetCheckKey(AssetKey("first"), "positive")

    levels = {record.user_message: record.level for record in instance.all_logs(result.run_id) if record.user_message.startswith("log at ")}
    assert levels == {"log at DEBUG": 10, "log at INFO": 20, "log at WARNING": 30, "log at ERROR": 40, "log at CRITICAL": 50}

    summary, second = sink["custom"]
    assert summary["kind"] == "summary"
    assert summary["keys"] == ["first", "shop/orders", "third"]
    assert summary["run_id"] == result.run_id
    assert summary["extras"]["checks"] == CHECKS
    assert second == "second"


def test_full_protocol_temp_file_context(scenario_command, dagster_instance, assert_pipes_clean, tmp_path):
    """Default client (temp-file context) with a kept message file: every method and metadata type."""
    messages = tmp_path / "messages"
    sink: dict = {}
    assets = full_assets({"message_reader": PipesFileMessageReader(str(messages), cleanup_file=False)}, scenario_command, sink)
    result = materialize([assets], instance=dagster_instance, raise_on_error=False)
    assert_full_run(result, dagster_instance, assert_pipes_clean, sink)

    # The bytes are exactly what Python's reference writer (`json.dumps(message)`) would write.
    lines = messages.read_text(encoding="ascii").splitlines()
    assert lines[0] == '{"__dagster_pipes_version": "0.1", "method": "opened", "params": {"extras": {}}}'
    assert lines[-1] == '{"__dagster_pipes_version": "0.1", "method": "closed", "params": {}}'
    for line in lines:
        assert json.dumps(json.loads(line)) == line


def test_full_protocol_env_context_injector(scenario_command, dagster_instance, assert_pipes_clean):
    """PipesEnvContextInjector: the context arrives inline as `{"data": ...}` in the env var."""
    sink: dict = {}
    assets = full_assets({"context_injector": PipesEnvContextInjector()}, scenario_command, sink)
    result = materialize([assets], instance=dagster_instance, raise_on_error=False)
    assert_full_run(result, dagster_instance, assert_pipes_clean, sink)


def test_blocking_check_failure_stops_downstream(scenario_command, dagster_instance, assert_pipes_clean):
    """A failed ERROR check on a blocking spec fails the step after recording the materialization."""
    checks = [{"assetKey": "first", "checkName": "gate", "passed": False, "severity": "ERROR"}]

    @multi_asset(specs=[AssetSpec("first")], check_specs=[AssetCheckSpec("gate", asset="first", blocking=True)])
    def gated(context: AssetExecutionContext):
        yield from (
            PipesSubprocessClient()
            .run(context=context, command=scenario_command, extras={"scenario": "full", "checks": checks})
            .get_results()
        )

    @multi_asset(specs=[AssetSpec("downstream", deps=["first"])])
    def downstream():
        yield from ()

    result = materialize([gated, downstream], instance=dagster_instance, raise_on_error=False)
    assert not result.success
    assert_pipes_clean(dagster_instance, result.run_id)
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [AssetKey("first")]
    (evaluation,) = result.get_asset_check_evaluations()
    assert (evaluation.check_name, evaluation.passed, evaluation.severity) == ("gate", False, AssetCheckSeverity.ERROR)
    failure = next(e for e in result.get_step_failure_events() if e.step_key == "gated")
    assert "gate" in failure.event_specific_data.error.to_string()
    assert "downstream" not in {e.step_key for e in result.get_step_success_events()}


def test_thrown_error_is_sent_in_closed(scenario_command, dagster_instance, assert_pipes_clean, closed_exception):
    @multi_asset(specs=SPECS)
    def failing(context: AssetExecutionContext):
        yield from PipesSubprocessClient().run(context=context, command=scenario_command, extras={"scenario": "throw"}).get_results()

    result = materialize([failing], instance=dagster_instance, raise_on_error=False)
    assert not result.success
    assert_pipes_clean(dagster_instance, result.run_id)
    error = closed_exception(dagster_instance, result.run_id)
    assert error.cls_name == "TypeError"
    assert error.message == "the model exploded"
    assert any("scenario.mjs" in frame for frame in error.stack)
    assert error.cause.message == "disk full"
    assert error.cause.cls_name == "Error"
    assert error.context is None
    failure = result.get_step_failure_events()[0].event_specific_data.error
    assert "External execution process failed with code 1" in failure.to_string()


def test_run_termination_sends_sigint_and_closed_still_arrives(
    scenario_command, dagster_instance, assert_pipes_clean, tmp_path, closed_exception
):
    """Real termination path: the step is interrupted, PipesSubprocessClient sends SIGINT to Node,
    which stops its registered child, runs its cleanup (a live log), and writes `closed`."""
    marker = tmp_path / "ready"

    @multi_asset(specs=SPECS)
    def waiting(context: AssetExecutionContext):
        yield from (
            PipesSubprocessClient(termination_timeout_seconds=15)
            .run(context=context, command=scenario_command, extras={"scenario": "wait", "marker": str(marker)})
            .get_results()
        )

    def interrupt_when_ready() -> None:
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        # In-process execution turns SIGINT into DagsterExecutionInterruptedError inside the step.
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=interrupt_when_ready, daemon=True)
    thread.start()
    started = time.monotonic()
    result = materialize([waiting], instance=dagster_instance, raise_on_error=False)
    thread.join()
    assert time.monotonic() - started < 15, "the Node program did not stop promptly on SIGINT"
    assert not result.success
    assert_pipes_clean(dagster_instance, result.run_id)
    messages = [r.user_message for r in dagster_instance.all_logs(result.run_id)]
    assert "[pipes] execution interrupted, sending SIGINT to subprocess." in messages
    assert "cleanup: child exited (0) after SIGINT" in messages, "\n".join(messages)
    error = closed_exception(dagster_instance, result.run_id)
    assert (error.cls_name, error.message) == ("PipesInterruptedError", "interrupted by SIGINT")


def test_sigterm_closes_with_interruption(scenario_command, dagster_instance, assert_pipes_clean, closed_exception):
    @multi_asset(specs=SPECS)
    def terminated(context: AssetExecutionContext):
        yield from (
            PipesSubprocessClient()
            .run(context=context, command=scenario_command, extras={"scenario": "wait", "self_signal": "SIGTERM"})
            .get_results()
        )

    result = materialize([terminated], instance=dagster_instance, raise_on_error=False)
    assert not result.success
    assert_pipes_clean(dagster_instance, result.run_id)
    messages = [r.user_message for r in dagster_instance.all_logs(result.run_id)]
    assert "cleanup: child exited (0) after SIGTERM" in messages
    assert closed_exception(dagster_instance, result.run_id).message == "interrupted by SIGTERM"
    failure = result.get_step_failure_events()[0].event_specific_data.error
    assert "External execution process failed with code 143" in failure.to_string()


def test_include_stdio_in_messages(scenario_command, dagster_instance, assert_pipes_clean, capfd):
    """include_stdio_in_messages=True: Node's stdout/stderr writes arrive as log_external_stream
    messages, which Dagster's handler writes to its own streams (the child's own stdio is not forwarded)."""

    @multi_asset(specs=SPECS)
    def chatty(context: AssetExecutionContext):
        client = PipesSubprocessClient(message_reader=PipesTempFileMessageReader(include_stdio_in_messages=True), forward_stdio=False)
        yield from client.run(context=context, command=scenario_command, extras={"scenario": "capture"}).get_results()

    result = materialize([chatty], instance=dagster_instance, raise_on_error=False)
    assert result.success
    assert_pipes_clean(dagster_instance, result.run_id)
    out, err = capfd.readouterr()
    assert "captured stdout line\n" in out
    assert "captured stderr line\n" in err


class StdioMessageReader(PipesMessageReader):
    """Asks the Node side for the `stdio` / `buffered_stdio` writer; the test feeds the process
    output to Dagster's own PipesMessageHandler, line by line, as the Docker/K8s readers do."""

    def __init__(self, key: str, stream: str):
        self.key, self.stream = key, stream
        self.handler = None

    @contextmanager
    def read_messages(self, handler) -> Iterator[dict]:
        self.handler = handler
        yield {self.key: self.stream}

    def no_messages_debug_text(self) -> str:
        return f"Attempted to read messages from {self.key}={self.stream}."


def run_over_stdio(context, scenario_command, key: str, stream: str, sink: dict, extras: dict, cli_args: bool = False):
    reader = StdioMessageReader(key, stream)
    with open_pipes_session(
        context=context, context_injector=PipesTempFileContextInjector(), message_reader=reader, extras=extras
    ) as session:
        process = subprocess.Popen(
            scenario_command,
            env={**os.environ, **session.get_bootstrap_env_vars()},
            stdout=subprocess.PIPE if stream == "stdout" else None,
            stderr=subprocess.PIPE if stream == "stderr" else None,
            text=True,
            encoding="utf-8",
        )
        pipe = process.stdout if stream == "stdout" else process.stderr
        for line in pipe:
            message = json.loads(line) if line.startswith("{") else None
            if isinstance(message, dict) and PIPES_PROTOCOL_VERSION_FIELD in message:
                reader.handler.handle_message(message)  # raises on anything Dagster cannot handle
            else:
                sink.setdefault("other_lines", []).append(line)
        assert process.wait() == 0
    sink["custom"] = session.get_custom_messages()
    yield from session.get_results()


@pytest.mark.parametrize(
    ("key", "stream"), [("stdio", "stdout"), ("stdio", "stderr"), ("buffered_stdio", "stdout"), ("buffered_stdio", "stderr")]
)
def test_stdio_writers_feed_dagsters_handler(key, stream, scenario_command, dagster_instance, assert_pipes_clean):
    sink: dict = {}

    @multi_asset(specs=SPECS, check_specs=CHECK_SPECS)
    def over_stdio(context: AssetExecutionContext):
        yield from run_over_stdio(context, scenario_command, key, stream, sink, {"scenario": "full", "checks": CHECKS, "chatter": True})

    result = materialize([over_stdio], instance=dagster_instance, raise_on_error=False)
    assert_full_run(result, dagster_instance, assert_pipes_clean, sink)
    if stream == "stdout":
        assert sink["other_lines"] == ["plain stdout line, not a message\n", '{"json": "but not a pipes message"}\n']


def test_cli_argument_bootstrap(scenario_command, dagster_instance, assert_pipes_clean):
    """`--dagster-pipes-context` / `--dagster-pipes-messages` (PipesSession.get_bootstrap_cli_arguments), no env vars."""
    sink: dict = {}

    @multi_asset(specs=SPECS, check_specs=CHECK_SPECS)
    def via_cli(context: AssetExecutionContext):
        with open_pipes_session(
            context=context,
            context_injector=PipesTempFileContextInjector(),
            message_reader=PipesTempFileMessageReader(),
            extras={"scenario": "full", "checks": CHECKS},
        ) as session:
            args = [part for item in session.get_bootstrap_cli_arguments().items() for part in item]
            env = {k: v for k, v in os.environ.items() if not k.startswith("DAGSTER_PIPES_")}
            assert subprocess.run([*scenario_command, *args], env=env, check=False).returncode == 0
        sink["custom"] = session.get_custom_messages()
        yield from session.get_results()

    result = materialize([via_cli], instance=dagster_instance, raise_on_error=False)
    assert_full_run(result, dagster_instance, assert_pipes_clean, sink)
