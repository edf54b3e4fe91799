"""The event channel: one JSON object per line on a dedicated file descriptor.

Not stdout: SQLMesh, its libraries and Python tracebacks share stdout/stderr. The Node runner
passes an extra pipe and names it in SQLMESH_PIPES_EVENTS_FD; without it (a person running the
module by hand) events go to stdout.
"""

from __future__ import annotations

import json
import os
import threading
import typing as t

from sqlmesh_pipes_contracts import EVENTS_FD_ENV


class EventChannel:
    """Writes events as JSON lines; thread-safe (SQLMesh calls back from worker threads)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self.broken = False

    @classmethod
    def from_env(cls, environ: t.Mapping[str, str] = os.environ) -> EventChannel:
        """The channel named by SQLMESH_PIPES_EVENTS_FD, else stdout."""
        raw = environ.get(EVENTS_FD_ENV)
        if raw is None or raw == "":
            return cls(1)
        try:
            fd = int(raw)
            os.fstat(fd)
        except (ValueError, OSError) as error:
            raise ValueError(f"{EVENTS_FD_ENV}={raw!r} is not an open file descriptor ({error})") from None
        return cls(fd)

    def write(self, event: t.Mapping[str, t.Any]) -> None:
        """Write one event as one line, never interleaved with another thread's line."""
        data = (json.dumps(event, default=str, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            if self.broken:
                return
            view = memoryview(data)
            try:
                # os.write may write less than asked on a pipe: loop until the line is out.
                while view:
                    written = os.write(self._fd, view)
                    view = view[written:]
            except (BrokenPipeError, OSError):
                # The reader went away (run killed): keep SQLMesh running to its own end.
                self.broken = True
