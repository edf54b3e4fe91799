"""One run of the executor over Dagster Pipes, owned here (like dagster-dbt's ``DbtCliInvocation``).

``PipesSubprocessClient.run`` returns nothing until the process exits and raises on termination
before any result is handed over, so results would reach Dagster only at the end, and a terminated
run would record none of what SQLMesh had already committed. This module opens the Pipes session
itself, runs the executor as its own process and hands over what it reports while it runs.

Termination. Dagster terminates a step with SIGINT, which it turns into an exception wherever the
step happens to be — also while Dagster itself is recording one of our results, where our code
never runs again and what the executor reports next is lost. So while the executor runs, SIGINT
and SIGTERM are ours: the signal is noted, and at our next poll we stop the executor (SIGINT; it
stops SQLMesh, reports what SQLMesh finished and closes), hand over what it reported, and only
then raise Dagster's own interruption. The executor and everything it started run in their own
process group, killed as a whole if they outlive ``termination_timeout_seconds``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    DagsterExecutionInterruptedError,
    MaterializeResult,
    PipesTempFileContextInjector,
    PipesTempFileMessageReader,
    open_pipes_session,
)
from dagster._core.pipes.context import PipesSession

POLL_SECONDS = 0.1
"""How often new results are handed over while the executor runs (Dagster's reader tails every 10 ms)."""
STDERR_LINES_KEPT = 20
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class ExecutorProcess:
    """The running executor: its process, the last lines of its stderr, and how it ended."""

    process: subprocess.Popen[bytes]
    stderr_tail: deque[str] = field(default_factory=lambda: deque(maxlen=STDERR_LINES_KEPT))
    killed: bool = False

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    def error_line(self) -> str | None:
        """The executor's last stderr line (its one-line error for usage and configuration problems)."""
        return self.stderr_tail[-1] if self.stderr_tail else None

    def kill_group(self) -> None:
        """SIGKILL the executor and everything it started (SQLMesh, what SQLMesh left running)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()


def start_executor(command: Sequence[str], *, cwd: str, env: dict[str, str]) -> ExecutorProcess:
    """Start the executor in its own process group; its stderr is relayed to ours line by line
    and its tail kept for error messages."""
    process = subprocess.Popen(
        list(command), cwd=cwd, env=env, stderr=subprocess.PIPE, start_new_session=True
    )
    executor = ExecutorProcess(process)

    def relay() -> None:
        assert process.stderr is not None
        for raw in iter(process.stderr.readline, b""):
            line = raw.decode("utf-8", errors="replace")
            sys.stderr.write(line)
            if line.strip():
                executor.stderr_tail.append(line.strip())
        process.stderr.close()

    threading.Thread(target=relay, name="sqlmesh-pipes-stderr", daemon=True).start()
    return executor


def stop_executor(executor: ExecutorProcess, timeout: float, log: Any) -> None:
    """SIGINT (the executor stops SQLMesh, reports what finished, closes Pipes), then SIGKILL."""
    process = executor.process
    if process.poll() is not None:
        return
    log.info("sqlmesh-pipes: stopping the executor (SIGINT): it stops SQLMesh and reports what finished.")
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log.warning(f"sqlmesh-pipes: the executor did not stop within {timeout:g}s of SIGINT: SIGKILL.")
        executor.killed = True
        executor.kill_group()
        process.wait()


class _StopSignals:
    """While installed (main thread only), SIGINT/SIGTERM are noted instead of raising anywhere."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def install(self) -> bool:
        if threading.current_thread() is not threading.main_thread():
            return False  # Dagster's own handling stands; the watchdog covers the rest
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.getsignal(signum)
            signal.signal(signum, self._note)
        return True

    def _note(self, signum: int, _frame: Any) -> None:
        if self.received is None:
            self.received = signum

    def restore(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()


def _watch_step(context: AssetExecutionContext, executor: ExecutorProcess, timeout: float) -> threading.Event:
    """Stop the executor if the step fails while this generator is parked at a ``yield``.

    When Dagster fails the step while handling one of our results (a storage error, an
    interruption outside the main thread), nothing is thrown into the generator, so no
    ``except``/``finally`` of ours runs: without this, the executor and SQLMesh would outlive it.
    """
    step = context.get_step_execution_context()
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.2):
            if getattr(step, "step_exception", None) is not None and executor.process.poll() is None:
                stop_executor(executor, timeout, context.log)
                return

    threading.Thread(target=watch, name="sqlmesh-pipes-watchdog", daemon=True).start()
    atexit.register(_kill_if_running, executor)
    return done


def _kill_if_running(executor: ExecutorProcess) -> None:
    if executor.process.poll() is None:
        executor.kill_group()


class PipesRun:
    """Runs the executor in a Pipes session and streams what it reports; see the module docstring."""

    def __init__(
        self,
        context: AssetExecutionContext,
        *,
        command: Sequence[str],
        cwd: str,
        extras: dict[str, Any],
        termination_timeout: float,
    ) -> None:
        self._context = context
        self._command = list(command)
        self._cwd = cwd
        self._extras = extras
        self._timeout = termination_timeout
        self._cursor = 0
        self.session: PipesSession | None = None
        self.executor: ExecutorProcess | None = None

    def _new_results(self) -> Sequence[MaterializeResult | AssetCheckResult]:
        # The session returns everything reported so far, every time: hand over only what is new.
        assert self.session is not None
        reported = self.session.get_reported_results()
        fresh, self._cursor = reported[self._cursor :], len(reported)
        return fresh  # type: ignore[return-value]

    def stream(self, on_session_open: Any = None) -> Iterator[MaterializeResult | AssetCheckResult]:
        """Yield results as the executor reports them; after a termination, yield what it reported
        while stopping, then raise the interruption. Ends when the executor has exited."""
        signals = _StopSignals()
        signals.install()
        try:
            yield from self._stream(signals, on_session_open)
            if signals.received is not None:  # arrived after the executor had ended on its own
                raise DagsterExecutionInterruptedError(
                    f"sqlmesh-pipes: {signal.Signals(signals.received).name} received"
                )
        finally:
            signals.restore()

    def _stream(
        self, signals: _StopSignals, on_session_open: Any
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        interrupted: BaseException | None = None
        with open_pipes_session(
            context=self._context,
            context_injector=PipesTempFileContextInjector(),
            message_reader=PipesTempFileMessageReader(),
            extras=self._extras,
        ) as session:
            self.session = session
            if on_session_open is not None:
                on_session_open()
            watchdog: threading.Event | None = None
            try:
                self.executor = start_executor(
                    self._command, cwd=self._cwd, env={**os.environ, **session.get_bootstrap_env_vars()}
                )
                watchdog = _watch_step(self._context, self.executor, self._timeout)
                while True:
                    if signals.received is not None:
                        name = signal.Signals(signals.received).name
                        raise DagsterExecutionInterruptedError(f"sqlmesh-pipes: {name} received")
                    try:
                        self.executor.process.wait(timeout=POLL_SECONDS)
                        break
                    except subprocess.TimeoutExpired:
                        pass
                    yield from self._new_results()
            except GeneratorExit:
                raise  # the consumer stopped listening: stop the executor (finally), yield nothing more
            except BaseException as error:  # noqa: BLE001 - DagsterExecutionInterruptedError is a BaseException
                interrupted = error
            finally:
                if self.executor is not None:
                    stop_executor(self.executor, self._timeout, self._context.log)
                if watchdog is not None:
                    watchdog.set()
        # The session has read the rest of the messages file on exit: what the executor reported
        # while it stopped (the models SQLMesh finished before the signal) is here too.
        yield from self._new_results()
        if interrupted is not None:
            raise interrupted

    def custom_messages(self) -> Sequence[Any]:
        """The executor's custom messages (the run summary is the last)."""
        return self.session.get_custom_messages() if self.session is not None else ()
