"""One run of the executor over Dagster Pipes, owned here (like dagster-dbt's ``DbtCliInvocation``).

``PipesSubprocessClient.run`` returns nothing until the process exits and raises on termination
before any result is handed over, so results would reach Dagster only at the end, and a terminated
run would record none of what SQLMesh had already committed. This module opens the Pipes session
itself, runs the executor as its own process and hands over what it reports while it runs.

Termination. Dagster terminates a step with SIGINT, raised as an exception inside our code when it
arrives there: we then stop the executor (SIGINT; it stops SQLMesh, reports what SQLMesh finished
and closes), hand over what it reported, and only then let the interruption through. A SIGINT
that arrives while Dagster is recording one of our results is raised before our code runs again,
and our generator is never resumed (Dagster may even drop that result: it type-checks a check's
output before it records the evaluation): a watchdog thread sees the step fail, or the generator
is closed, and either stops the executor the same way and hands what it reported to
``on_abandoned``, which records it, and anything handed over but missing from the event log, as
events. The executor and everything
it started run in their own process group, killed as a whole if they outlive
``termination_timeout_seconds``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    MaterializeResult,
    PipesSession,
    PipesTempFileContextInjector,
)

from .message_reader import PipesLineFileMessageReader
from .session import open_session

WATCHDOG_THREAD = "sqlmesh-pipes-watchdog"
POLL_SECONDS = 0.1
"""How often new results are handed over while the executor runs (Dagster's reader tails every 10 ms)."""
STDERR_LINES_KEPT = 20


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


@contextlib.contextmanager
def _sigint_shielded(log: Any) -> Iterator[None]:
    """A second SIGINT (Terminate twice, Ctrl-C twice) must not cut the stop sequence short.

    Only our own code runs inside: the handler Dagster had is back before we yield again.
    Signal handlers can only be changed from the main thread; elsewhere Dagster's handling stands.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda *_: log.info("sqlmesh-pipes: already stopping the executor."))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def wait_for_stopping_runs(timeout: float | None = None) -> bool:
    """Wait until no executor is still being stopped after its step ended (see ``PipesRun._watch``).

    For programs that read the event log right after ``execute_in_process`` returns: what SQLMesh
    finished is recorded shortly after a run terminated mid-result. True when none is left.
    """
    for thread in [t for t in threading.enumerate() if t.name == WATCHDOG_THREAD]:
        thread.join(timeout)
    return not any(t.name == WATCHDOG_THREAD for t in threading.enumerate())


def _kill_if_running(executor: ExecutorProcess) -> None:
    if executor.process.poll() is None:
        executor.kill_group()


Result = MaterializeResult | AssetCheckResult


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
        on_abandoned: Callable[[Sequence[Result]], None] | None = None,
    ) -> None:
        self._context = context
        self._command = list(command)
        self._cwd = cwd
        self._extras = extras
        self._timeout = termination_timeout
        self._on_abandoned = on_abandoned
        self._cursor = 0
        self._abandon_lock = threading.RLock()
        self._abandoned = False
        self._generator: Generator[Result, None, None] | None = None
        self.session: PipesSession | None = None
        self.executor: ExecutorProcess | None = None

    def _drain(self) -> Iterator[Result]:
        """What the executor reported since the last call, one result at a time.

        The cursor moves past a result as it is handed over, never before: if Dagster ends the
        step while we wait at a ``yield``, that result is Dagster's (``on_abandoned`` checks it
        reached the event log), and the rest is recorded as events. One consumer at a time: the
        generator, or the recovery once the generator cannot run any more.
        """
        assert self.session is not None
        while True:
            reported = self.session.get_reported_results()
            if self._cursor >= len(reported):
                return
            result = reported[self._cursor]
            # No call between the move and the yield: an interruption (raised only at calls and
            # loop jumps) cannot land between them and lose the result.
            self._cursor += 1
            yield result  # type: ignore[misc]

    def _watch(self, executor: ExecutorProcess) -> threading.Event:
        """Stop the executor and record what it reported if the step ends while we are parked.

        Not a daemon: when the step failed while this generator waited at a ``yield`` (a SIGINT
        during Dagster's handling of a result), Dagster never resumes it, and the process must not
        end before the executor has stopped and what SQLMesh finished is recorded.
        """
        step = self._context.get_step_execution_context()
        done = threading.Event()

        def watch() -> None:
            while not done.wait(0.1):
                step_failed = getattr(step, "step_exception", None) is not None
                if step_failed or not threading.main_thread().is_alive():
                    self._recover(executor)
                    self._close_parked_stream()
                    return

        threading.Thread(target=watch, name=WATCHDOG_THREAD).start()
        atexit.register(_kill_if_running, executor)
        return done

    def _close_parked_stream(self) -> None:
        """Close the Pipes session of a generator Dagster will never resume, now, while the run's
        storage is there, rather than whenever it is garbage-collected."""
        if self._generator is not None:
            with contextlib.suppress(ValueError):  # executing in another thread: it closes itself
                self._generator.close()

    def _recover(self, executor: ExecutorProcess) -> None:
        """Once per run, from whichever side sees it first (the watchdog, or the generator being
        closed): stop the executor and hand what it reported to ``on_abandoned``."""
        with self._abandon_lock:  # re-entrant: the generator may be closed by GC inside this thread
            if self._abandoned:
                return
            self._abandoned = True
            with _sigint_shielded(self._context.log):
                stop_executor(executor, self._timeout, self._context.log)
            handler = self.session.message_handler if self.session is not None else None
            # The reader thread tails the messages file: let it reach `closed`.
            for _ in range(50):
                if handler is None or handler.received_closed_message:
                    break
                time.sleep(0.05)
            late = list(self._drain()) if self.session is not None else []
            if self._on_abandoned is not None:
                try:
                    self._on_abandoned(late)
                except Exception as error:  # noqa: BLE001 - the step is over; say what could not be recorded
                    self._context.log.error(
                        f"sqlmesh-pipes: could not record {len(late)} late result(s): {error}"
                    )

    def stream(self) -> Generator[Result, None, None]:
        """Yield results as the executor reports them; after a termination, yield what it reported
        while stopping, then raise the interruption. Ends when the executor has exited."""
        self._generator = self._stream()
        return self._generator

    def _stream(self) -> Generator[Result, None, None]:
        interrupted: BaseException | None = None
        watchdog: threading.Event | None = None
        handed_all = False
        try:
            with open_session(
                self._context,
                context_injector=PipesTempFileContextInjector(),
                message_reader=PipesLineFileMessageReader(),
                extras=self._extras,
            ) as session:
                self.session = session
                try:
                    self.executor = start_executor(
                        self._command, cwd=self._cwd, env={**os.environ, **session.get_bootstrap_env_vars()}
                    )
                    watchdog = self._watch(self.executor)
                    while True:
                        try:
                            self.executor.process.wait(timeout=POLL_SECONDS)
                            break
                        except subprocess.TimeoutExpired:
                            pass
                        yield from self._drain()
                except GeneratorExit:
                    raise  # the consumer stopped listening: see the outer finally
                except BaseException as error:  # noqa: BLE001 - DagsterExecutionInterruptedError is a BaseException
                    interrupted = error
                finally:
                    if self.executor is not None:
                        with _sigint_shielded(self._context.log):
                            stop_executor(self.executor, self._timeout, self._context.log)
            # The session has read the rest of the messages file on exit: what the executor reported
            # while it stopped (the models SQLMesh finished before the signal) is here too.
            yield from self._drain()
            handed_all = True
        finally:
            if not handed_all and self.executor is not None:
                # Closed before everything was handed over (the step failed while we waited at a
                # yield, or an interruption hit the consumer between two results): the rest, and
                # whatever Dagster dropped, is recorded as events.
                self._recover(self.executor)
            if watchdog is not None:
                watchdog.set()
        if interrupted is not None:
            raise interrupted

    def custom_messages(self) -> Sequence[Any]:
        """The executor's custom messages (the run summary is the last)."""
        return self.session.get_custom_messages() if self.session is not None else ()
