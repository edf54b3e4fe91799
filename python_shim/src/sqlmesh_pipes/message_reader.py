"""The Pipes message reader of our sessions: tails a temp file, and hands over whole lines only.

Dagster's ``PipesTempFileMessageReader`` parses whatever ``readline`` returns at the end of the
file. A reader can catch a line half written: Linux grows a file page by page inside one
``write(2)``, so a line that crosses a 4 KiB page boundary can be read up to the boundary. The
half line then fails to parse, the reader thread dies, and every later message — materializations,
checks, the run summary, ``closed`` — is lost (seen at 1000 models: 477 of 1000 materializations
recorded, then "did not receive closed message"). This reader keeps a line without its newline
until the rest arrives, and a message it cannot parse is reported without stopping the ones after
it. Everything it reads goes to Dagster's own message handler.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
from collections.abc import Iterator

from dagster import PipesMessageHandler, PipesMessageReader
from dagster_pipes import PipesParams

MESSAGES_FILENAME = "messages"
TAIL_INTERVAL_SECONDS = 0.01
"""How long the reader sleeps at the end of the file (Dagster's own reader: the same 10 ms)."""
_CHUNK_BYTES = 1 << 16


def whole_lines(path: str, should_stop: threading.Event) -> Iterator[bytes]:
    """The lines appended to ``path`` (newline included), each only once it is complete; ends
    when ``should_stop`` is set and the file has been read to its end."""
    pending = b""
    with open(path, "rb") as stream:
        while True:
            chunk = stream.read(_CHUNK_BYTES)
            if chunk:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    yield line + b"\n"
            elif should_stop.is_set():
                if pending.strip():
                    # The writer is gone and never finished this line: hand it over as it is, so
                    # the handler reports the broken message instead of it vanishing.
                    yield pending
                return
            else:
                should_stop.wait(TAIL_INTERVAL_SECONDS)


class PipesLineFileMessageReader(PipesMessageReader):
    """Reads messages from a temp file the executor appends JSON lines to (``{"path": ...}``)."""

    @contextlib.contextmanager
    def read_messages(self, handler: PipesMessageHandler) -> Iterator[PipesParams]:
        """Create the file, tail it in a thread while the session is open, then read it to the end."""
        stop = threading.Event()
        with tempfile.TemporaryDirectory(prefix="sqlmesh-pipes-") as tempdir:
            path = os.path.join(tempdir, MESSAGES_FILENAME)
            open(path, "wb").close()
            thread = threading.Thread(
                target=self._read, args=(path, handler, stop), name="sqlmesh-pipes-messages", daemon=True
            )
            thread.start()
            try:
                yield {"path": path, "include_stdio_in_messages": False}
            finally:
                stop.set()
                thread.join()

    @staticmethod
    def _read(path: str, handler: PipesMessageHandler, stop: threading.Event) -> None:
        origin = f"{PipesLineFileMessageReader.__name__} reader thread"
        try:
            for line in whole_lines(path, stop):
                if not line.strip():
                    continue
                try:
                    handler.handle_message(json.loads(line))
                except Exception:  # noqa: BLE001 - one bad message must not lose the ones after it
                    handler.report_pipes_framework_exception(origin, sys.exc_info())
        except Exception:  # noqa: BLE001 - the file itself failed: reported as Dagster's reader does
            handler.report_pipes_framework_exception(origin, sys.exc_info())

    @property
    def expected_writer_count(self) -> int:
        """One writer, the executor (Dagster's default, without its preview warning on every run)."""
        return 1

    def no_messages_debug_text(self) -> str:
        return "Attempted to read messages from a temporary file the executor appends to."
