"""A SQLMesh console that turns every run callback into one JSON event (src/contracts/console-events.ts).

Tolerance rules, because SQLMesh changed these signatures several times:
- subclass NoopConsole, so a callback we do not know is a silent no-op;
- every override takes (*args, **kwargs) and reads arguments by position or name;
- a handler that fails writes a `log` event instead of raising into SQLMesh.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
import typing as t
from datetime import datetime, timezone

from sqlglot import exp
from sqlmesh.core.console import NoopConsole

from sqlmesh_pipes_console.channel import EventChannel
from sqlmesh_pipes_contracts import (
    AUDIT_WARNING_PATTERN,
    NEXT_READY_PATTERN,
    NOTHING_TO_DO_PREFIX,
    AuditFailure,
    AuditWarning,
    BatchEvaluated,
    BatchStarted,
    EvaluationFinished,
    EvaluationStarted,
    ExecutionStats,
    Interval,
    LogLine,
    ModelFailed,
    ModelsSkipped,
    NothingToDo,
    SqlmeshEvent,
)

F = t.TypeVar("F", bound=t.Callable[..., None])

# SQLMesh's sentences, shared with the executor's text parser (src/contracts/sqlmesh-text.ts).
_NEXT_READY = re.compile(NEXT_READY_PATTERN)
_AUDIT_WARNING = re.compile(AUDIT_WARNING_PATTERN, re.S)
# Longest text in one event (an error message, an audit query); the Node side caps lines too.
MAX_TEXT_CHARS = 64 * 1024


def cap_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """`text`, or its head and a note of how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]} … [{len(text) - limit} characters cut]"


def node_kind(snapshot: t.Any) -> str:
    """`model`, `external` (an external model's audits) or `audit` (a standalone audit)."""
    if getattr(snapshot, "is_audit", False):
        return "audit"
    node = getattr(snapshot, "node", None)
    kind = getattr(node, "kind", None)
    return "external" if getattr(kind, "is_external", False) else "model"


def _arg(
    args: tuple[t.Any, ...], kwargs: dict[str, t.Any], index: int, name: str, default: t.Any = None
) -> t.Any:
    """A callback argument by name, else by position, else `default`."""
    if name in kwargs:
        return kwargs[name]
    return args[index] if len(args) > index else default


def iso_ms(epoch_ms: t.Any) -> str | None:
    """SQLMesh interval bound (epoch milliseconds) as ISO-8601 UTC."""
    if epoch_ms is None:
        return None
    moment = datetime.fromtimestamp(int(epoch_ms) / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _interval(interval: t.Any) -> Interval | None:
    try:
        start, end = interval
        return (t.cast(str, iso_ms(start)), t.cast(str, iso_ms(end)))
    except (TypeError, ValueError):
        return None


def next_ready_at(message: str) -> str | None:
    """The UTC time in SQLMesh's "Next run will be ready at ..." sentence, as ISO-8601."""
    match = _NEXT_READY.search(message)
    if not match:
        return None
    day, hour, minute, meridiem = match.groups()
    moment = datetime.strptime(f"{day} {hour}:{minute}{meridiem}", "%Y-%m-%d %I:%M%p").replace(
        tzinfo=timezone.utc
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sql(value: t.Any, dialect: str | None) -> str:
    """Audit arguments and queries are sqlglot expressions; anything else is shown as text."""
    to_sql = getattr(value, "sql", None)
    if callable(to_sql):
        try:
            return str(to_sql(dialect=dialect))
        except Exception:  # noqa: BLE001 - rendering is best effort
            pass
    return str(value)


def audit_index(error: t.Any) -> int | None:
    """Which audit use of its model the AuditError is: the index into the manifest's `audits`.

    SQLMesh's error carries the audit's name and arguments, not its position; the same audit may
    be used twice with other arguments, so both are matched (in the manifest's own rendering).
    A standalone audit is its own only audit: 0.
    """
    model = getattr(error, "model", None)
    if model is None:
        return 0
    from sqlmesh_pipes_console.manifest_build import audit_uses, sql_text

    dialect = getattr(model, "dialect", "") or ""
    name = getattr(error, "audit_name", None)
    raw_args = getattr(error, "audit_args", None) or {}
    args = {str(k): sql_text(v, dialect) for k, v in raw_args.items() if k != "blocking"}
    uses = audit_uses(model)
    for index, (use_name, use_args, _) in enumerate(uses):
        if use_name == name and use_args == args:
            return index
    same_name = [index for index, (use_name, _, _) in enumerate(uses) if use_name == name]
    return same_name[0] if len(same_name) == 1 else None


def audit_failure(error: t.Any) -> AuditFailure:
    """An AuditError as an AuditFailure."""
    dialect = getattr(error, "adapter_dialect", None)
    raw_args = getattr(error, "audit_args", None)
    args = {str(k): _sql(v, dialect) for k, v in raw_args.items()} if isinstance(raw_args, dict) else None
    query = getattr(error, "query", None)
    count = getattr(error, "count", None)
    try:
        index = audit_index(error)
    except Exception:  # noqa: BLE001 - identification is best effort; the name still reports it
        index = None
    return AuditFailure(
        audit=str(getattr(error, "audit_name", "") or ""),
        audit_index=index,
        args=args,
        failed_rows=int(count) if isinstance(count, int) else None,
        query=cap_text(_sql(query, dialect)) if query is not None else None,
    )


def _safe(method: F) -> F:
    """Never let our own bug break the SQLMesh run: report it as a log event."""

    @functools.wraps(method)
    def wrapper(self: JsonConsole, *args: t.Any, **kwargs: t.Any) -> None:
        try:
            method(self, *args, **kwargs)
        except Exception as error:  # noqa: BLE001
            self.log("ERROR", f"sqlmesh-pipes console: {method.__name__} failed: {error!r}")

    return t.cast(F, wrapper)


class JsonConsole(NoopConsole):
    """Writes the run's console callbacks as JSON events on `channel`."""

    def __init__(self, channel: EventChannel) -> None:
        super().__init__()
        self.channel = channel
        self._lock = threading.Lock()
        # FQN ("db"."schema"."table") -> model name as written, and batches per model.
        self._names: dict[str, str] = {}
        self._kinds: dict[str, str] = {}
        self._batch_counts: dict[str, int] = {}
        # Batches of each model evaluated so far, and the row counter (`--fetch-row-counts`).
        self._evaluated: dict[str, int] = {}
        self.count_rows: t.Callable[[t.Any], int | None] | None = None
        # True while SQLMesh audits models in place (audit_only.py): no table changed, nothing to count.
        self.auditing = False
        # Audit errors of the batch this worker thread evaluates, seen through the notification
        # tap; cleared at each batch start. Non-blocking ones wait for SQLMesh's log_warning
        # (same thread, right after); in a batch that failed on a blocking audit SQLMesh raises
        # first and never warns, so those are kept per (model, batch) for log_failed_models.
        self._pending_audits = threading.local()
        self._unwarned: dict[tuple[str, int], list[t.Any]] = {}
        # Non-blocking failures warned during the batch a thread evaluates: held until that
        # batch's progress update names its index, then emitted with it.
        self._held_warnings: dict[int, list[AuditWarning]] = {}
        self.nothing_to_do_reported = False

    # -- helpers -------------------------------------------------------------------------

    def emit(self, event: SqlmeshEvent) -> None:
        """Write one event."""
        self.channel.write(event.to_json())

    def log(self, level: t.Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], message: str) -> None:
        """A `log` event from the console."""
        self.emit(LogLine(level=level, message=cap_text(message), source="console"))

    def model_name(self, snapshot_or_fqn: t.Any) -> str:
        """The model name as written in the project (e.g. `demo.orders`)."""
        if isinstance(snapshot_or_fqn, str):
            with self._lock:
                known = self._names.get(snapshot_or_fqn)
            return known or strip_fqn(snapshot_or_fqn)
        node = getattr(snapshot_or_fqn, "node", None)
        name = getattr(node, "name", None) or getattr(snapshot_or_fqn, "name", None)
        return str(name)

    def _remember(self, snapshot: t.Any) -> str:
        name = self.model_name(snapshot)
        fqn = getattr(snapshot, "name", None)
        with self._lock:
            if isinstance(fqn, str):
                self._names[fqn] = name
            self._kinds[name] = node_kind(snapshot)
        return name

    def on_audit_failure(self, error: t.Any) -> None:
        """Called by the notification tap (run.py) for every failing audit, before SQLMesh acts on it."""
        self._pending().append(error)

    def _pending(self) -> list[t.Any]:
        pending = getattr(self._pending_audits, "errors", None)
        if pending is None:
            pending = self._pending_audits.errors = []
        return pending

    def _take_pending_audit(self, audit: str, count: int) -> t.Any:
        pending = self._pending()
        for index, error in enumerate(pending):
            if getattr(error, "audit_name", None) == audit and getattr(error, "count", None) == count:
                return pending.pop(index)
        return None

    # -- evaluation ----------------------------------------------------------------------

    @_safe
    def start_evaluation_progress(self, *args: t.Any, **kwargs: t.Any) -> None:
        batched_intervals = _arg(args, kwargs, 0, "batched_intervals", {}) or {}
        # Audit-only evaluation (audit_only.py) reports its batches like a run's: the counts are
        # what tells the Node side when a node's audits are all in.
        batches: dict[str, int] = {}
        fingerprints: dict[str, str] = {}
        for snapshot, intervals in batched_intervals.items():
            name = self._remember(snapshot)
            batches[name] = len(intervals)
            identifier = getattr(snapshot, "identifier", None)
            if identifier is not None:
                fingerprints[name] = str(identifier)
        with self._lock:
            self._batch_counts = dict(batches)
        self.emit(EvaluationStarted(batches=batches, fingerprints=fingerprints))

    @_safe
    def start_snapshot_evaluation_progress(self, *args: t.Any, **kwargs: t.Any) -> None:
        snapshot = _arg(args, kwargs, 0, "snapshot")
        # Worker threads are reused: audit errors of an earlier batch must not match this one's.
        self._pending_audits.errors = []
        with self._lock:
            self._held_warnings.pop(threading.get_ident(), None)
        if _arg(args, kwargs, 1, "audit_only", False):
            return
        self.emit(BatchStarted(model=self._remember(snapshot), node=node_kind(snapshot)))

    @_safe
    def update_snapshot_evaluation_progress(self, *args: t.Any, **kwargs: t.Any) -> None:
        snapshot = _arg(args, kwargs, 0, "snapshot")
        duration_ms = _arg(args, kwargs, 3, "duration_ms")
        # SQLMesh calls this for FAILED batches too, with duration_ms None: not a success.
        # Their failure arrives with the real exception in log_failed_models, which also
        # reports the non-blocking audits that failed in the batch (SQLMesh never warns of them).
        batch_idx = int(_arg(args, kwargs, 2, "batch_idx", 0) or 0)
        name = self._remember(snapshot)  # takes the lock itself: not inside it
        with self._lock:
            held = self._held_warnings.pop(threading.get_ident(), [])
        if duration_ms is None:
            leftover, self._pending_audits.errors = self._pending(), []
            with self._lock:
                self._unwarned.setdefault((name, batch_idx), []).extend(leftover)
            for warning in held:
                self.emit(dataclasses.replace(warning, batch_index=batch_idx))
            return
        for warning in held:
            self.emit(dataclasses.replace(warning, batch_index=batch_idx))
        interval = _arg(args, kwargs, 1, "interval")
        stats = _arg(args, kwargs, 7, "execution_stats")
        with self._lock:
            batch_count = self._batch_counts.get(name)
            evaluated = self._evaluated[name] = self._evaluated.get(name, 0) + 1
        # After the model's last batch (all of them evaluated, whatever order they finished in).
        row_count = None
        if (
            self.count_rows is not None
            and not self.auditing
            and node_kind(snapshot) == "model"
            and evaluated == batch_count
        ):
            row_count = self.count_rows(snapshot)
        self.emit(
            BatchEvaluated(
                model=name,
                node=node_kind(snapshot),
                interval=_interval(interval),
                batch_index=int(batch_idx),
                batch_count=batch_count,
                duration_ms=duration_ms,
                audits_passed=int(_arg(args, kwargs, 4, "num_audits_passed", 0) or 0),
                audits_failed=int(_arg(args, kwargs, 5, "num_audits_failed", 0) or 0),
                annotation="audit only" if self.auditing else _annotation(snapshot, interval, stats),
                execution_stats=_execution_stats(stats),
                row_count=row_count,
            )
        )

    @_safe
    def stop_evaluation_progress(self, *args: t.Any, **kwargs: t.Any) -> None:
        success = bool(_arg(args, kwargs, 0, "success", True))
        with self._lock:
            stray = [warning for held in self._held_warnings.values() for warning in held]
            self._held_warnings.clear()
        # Warnings whose batch never reported progress (not seen in SQLMesh 0.236): keep them.
        for warning in stray:
            self.emit(warning)
        self.emit(EvaluationFinished(success=success))

    @_safe
    def log_skipped_models(self, *args: t.Any, **kwargs: t.Any) -> None:
        names = _arg(args, kwargs, 0, "snapshot_names") or ()
        # SQLMesh calls this with an empty set on success; the text console prints nothing then.
        if names:
            self.emit(ModelsSkipped(models=tuple(sorted(self.model_name(n) for n in names))))

    @_safe
    def log_failed_models(self, *args: t.Any, **kwargs: t.Any) -> None:
        for error in _arg(args, kwargs, 0, "errors") or ():
            failed = self._model_failed(error)
            cause = error.__cause__ or error
            raised = [id(e) for e in getattr(cause, "errors", None) or ()]
            batch = failed.batch_index if failed.batch_index is not None else 0
            with self._lock:
                leftover = self._unwarned.pop((failed.model, batch), [])
            # Non-blocking audits that failed in the same batch: SQLMesh raised before warning.
            for audit_error in leftover:
                if id(audit_error) not in raised:
                    warning = self._audit_warning(failed.model, audit_failure(audit_error))
                    self.emit(dataclasses.replace(warning, batch_index=failed.batch_index))
            self.emit(failed)

    def _model_failed(self, error: t.Any) -> ModelFailed:
        node = getattr(error, "node", None)
        fqn = getattr(node, "snapshot_name", None) or getattr(node, "name", None) or str(node)
        cause = error.__cause__ or error
        audit_errors = getattr(cause, "errors", None)
        failures = [audit_failure(e) for e in audit_errors] if isinstance(audit_errors, list) else []
        batch_index = getattr(node, "batch_index", None)
        name = self.model_name(str(fqn))
        with self._lock:
            kind = self._kinds.get(name)
        return ModelFailed(
            model=name,
            node=t.cast(t.Any, kind),
            interval=_interval(getattr(node, "interval", None)),
            batch_index=batch_index if isinstance(batch_index, int) else None,
            error_class=type(cause).__name__,
            message=cap_text(str(cause)),
            audit_failures=tuple(failures),
        )

    def _audit_warning(self, model: str, failure: AuditFailure, message: str | None = None) -> AuditWarning:
        """A non-blocking audit failure: SQLMesh let the batch go on despite it."""
        if message is None:
            message = f"{model}: '{failure.audit}' audit error: {failure.failed_rows} rows failed."
        return AuditWarning(model=model, failure=failure, message=message, batch_index=None)

    # -- messages ------------------------------------------------------------------------

    @_safe
    def log_status_update(self, *args: t.Any, **kwargs: t.Any) -> None:
        message = str(_arg(args, kwargs, 0, "message", ""))
        if message.startswith(NOTHING_TO_DO_PREFIX):
            self.nothing_to_do_reported = True
            self.emit(NothingToDo(message=message, next_ready_at=next_ready_at(message)))
            return
        self.log("INFO", message)

    @_safe
    def log_warning(self, *args: t.Any, **kwargs: t.Any) -> None:
        short = str(_arg(args, kwargs, 0, "short_message", ""))
        long = _arg(args, kwargs, 1, "long_message")
        match = _AUDIT_WARNING.match(short)
        if match:
            shown_model, audit, count = match.groups()
            error = self._take_pending_audit(audit, int(count))
            failure = audit_failure(error) if error is not None else _failure_from_text(match, long)
            model = (
                error.model.name
                if error is not None and getattr(error, "model", None)
                else shown_model.strip()
            )
            # Held until this thread's batch reports progress, which names the batch.
            with self._lock:
                self._held_warnings.setdefault(threading.get_ident(), []).append(
                    self._audit_warning(str(model), failure, short.strip())
                )
            return
        self.log("WARNING", str(long or short).strip())

    @_safe
    def log_error(self, *args: t.Any, **kwargs: t.Any) -> None:
        self.log("ERROR", str(_arg(args, kwargs, 0, "message", "")).strip())

    @_safe
    def log_success(self, *args: t.Any, **kwargs: t.Any) -> None:
        self.log("INFO", str(_arg(args, kwargs, 0, "message", "")).strip())


def strip_fqn(fqn: str) -> str:
    """`"db"."demo"."orders"` -> `demo.orders`, `"db"."my schema"."t"` -> `"my schema".t`: catalog
    dropped, quotes only where a part needs them (how SQLMesh writes a model name). The fallback
    when the snapshot was never seen; parsed by sqlglot, so `""` inside a quoted part is one `"`."""
    try:
        table = exp.to_table(fqn)
    except Exception:  # noqa: BLE001 - not a table name at all: show it as it came
        return fqn
    return ".".join(exp.to_identifier(part).sql() for part in (table.db, table.name) if part)


def _failure_from_text(match: re.Match[str], long: t.Any) -> AuditFailure:
    query = None
    if isinstance(long, str) and "Audit query:\n" in long:
        query = long.split("Audit query:\n", 1)[1].strip()
    return AuditFailure(
        audit=match.group(2),
        audit_index=None,
        args=None,
        failed_rows=int(match.group(3)),
        query=query,
    )


def _execution_stats(stats: t.Any) -> ExecutionStats | None:
    if stats is None:
        return None
    return ExecutionStats(
        total_rows_processed=getattr(stats, "total_rows_processed", None),
        total_bytes_processed=getattr(stats, "total_bytes_processed", None),
    )


def _annotation(snapshot: t.Any, interval: t.Any, stats: t.Any) -> str | None:
    """The text console's annotation (`insert ...`, `full refresh`), from SQLMesh's own helpers."""
    try:
        from sqlmesh.core import console as sqlmesh_console

        interval_info = sqlmesh_console._format_evaluation_model_interval(snapshot, interval)
        # Stats are left out: the text console only shows them where the engine reports them,
        # and the numbers are already in execution_stats.
        return sqlmesh_console._create_evaluation_model_annotation(snapshot, interval_info, None) or None
    except Exception:  # noqa: BLE001 - private helpers: absent or changed in other versions
        return None
