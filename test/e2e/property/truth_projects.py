"""Seeded generator of small SQLMesh projects for the truth property test, and their fault files.

Everything a project does at run time that the harness must control (SQL errors, failing audits,
a model that blocks until the run is terminated) is driven by `faults.csv` in the project, read
by the models' own SQL (DuckDB `read_csv`) or Python code while SQLMesh runs. Writing that file
never changes a model's text, so fingerprints stay put and no new plan is needed between the
`sqlmesh plan` that prepares a project and the `sqlmesh run`s that Dagster launches.

The project is a pure function of the seed (`random.Random(seed)` only); dates that depend on the
day of the run (which day a fault hits) are kept relative in the spec (`day_offset`) and resolved
when the harness writes `faults.csv`.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

FAULTS_FILE = "faults.csv"
FAULT_COLUMNS = ("model", "day", "kind")
CATALOG = "db"
BLOCK_MARKER_SUFFIX = ".blocking"
"""The Python model writes `<model name><suffix>` in its cwd (the project) when it starts blocking."""
BLOCK_TIMEOUT_S = 150
"""A blocking model gives up (and fails) after this long, so a harness bug cannot hang a run."""

FAULT_KINDS = (
    "none",
    "sql_error",
    "blocking_audit",
    "non_blocking_audit",
    "not_due",
    "subset",
    "upstream_failure",
    "termination",
)
"""One fault per seed, `FAULT_KINDS[seed % len(FAULT_KINDS)]`: every kind is equally covered by any
range of consecutive seeds."""

# Audits whose failure the model's data can be made to trigger: each checks its own column
# `a<i>`, which holds 1 unless a fault row asks for the bad value on that day.
INJECTABLE_AUDITS = ("not_null", "accepted_range", "forall")
# Audits that always pass on generated data (variety in what SQLMesh evaluates).
PASSIVE_AUDITS = ("number_of_rows", "unique_values")

_READ_FAULTS = f"read_csv('{FAULTS_FILE}', header = true, columns = {{'model': 'VARCHAR', 'day': 'DATE', 'kind': 'VARCHAR'}})"


@dataclass(frozen=True)
class AuditUse:
    """One audit attached to a model (the Dagster check is named after `name`)."""

    name: str
    blocking: bool
    column: str | None = None
    """The model column it checks; None for audits that no fault can trigger."""

    @property
    def builtin(self) -> str:
        """SQLMesh's built-in audit this use calls."""
        return self.name.removesuffix("_non_blocking")

    def sql(self) -> str:
        """The audit call in the MODEL block."""
        if self.builtin == "not_null":
            args = f"columns := ({self.column})"
        elif self.builtin == "accepted_range":
            args = f"column := {self.column}, min_v := 0"
        elif self.builtin == "forall":
            args = f"criteria := ({self.column} >= 0)"
        elif self.builtin == "number_of_rows":
            args = "threshold := 0"
        else:
            args = "columns := (ts)"
        # `_non_blocking` built-ins are non-blocking by default; the others need the argument.
        if not self.blocking and not self.name.endswith("_non_blocking"):
            args += ", blocking := false"
        return f"{self.name}({args})"

    def bad_value(self) -> str:
        """The SQL value that makes this audit fail."""
        return "NULL" if self.builtin == "not_null" else "-1"


@dataclass(frozen=True)
class ModelSpec:
    """One generated model."""

    name: str
    kind: str
    """FULL, VIEW or INCREMENTAL_BY_TIME_RANGE."""
    cron: str
    parents: tuple[str, ...]
    audits: tuple[AuditUse, ...] = ()
    batch_size: int | None = None
    python: bool = False

    @property
    def schema(self) -> str:
        """The schema part of the name."""
        return self.name.split(".")[0]

    @property
    def table(self) -> str:
        """The table part of the name."""
        return self.name.split(".")[1]

    @property
    def step(self) -> str:
        """DuckDB interval between two rows (one row per cron interval)."""
        return "1 HOUR" if self.cron == "@hourly" else "1 DAY"

    def audit(self, name: str) -> AuditUse:
        """The audit use called `name`."""
        return next(a for a in self.audits if a.name == name)


@dataclass(frozen=True)
class StandaloneAuditSpec:
    """A standalone audit (AUDIT (..., standalone true)) over one or two models."""

    name: str
    models: tuple[str, ...]
    blocking: bool


@dataclass(frozen=True)
class FaultSpec:
    """The one fault of a seed."""

    kind: str
    target: str | None = None
    """Model (or standalone audit) the fault is injected into."""
    audit: str | None = None
    """For a model audit fault: the audit use that fails."""
    day_offset: int | None = None
    """The day the fault hits: the run's UTC date plus this (-2 or -1, both due on the first run)."""
    subset: tuple[str, ...] = ()
    """For `subset`: the models selected in Dagster."""

    @property
    def runs(self) -> int:
        """How many Dagster runs the seed makes (a not-due fault is a second run right after the first)."""
        return 2 if self.kind == "not_due" else 1

    def describe(self) -> str:
        """One line for reports."""
        parts = [self.kind]
        if self.target:
            parts.append(self.target + (f":{self.audit}" if self.audit else ""))
        if self.day_offset is not None:
            parts.append(f"day{self.day_offset:+d}")
        if self.subset:
            parts.append("selected=" + ",".join(self.subset))
        return " ".join(parts)


@dataclass(frozen=True)
class ProjectSpec:
    """A generated project and its fault."""

    seed: int
    models: tuple[ModelSpec, ...]
    standalone_audits: tuple[StandaloneAuditSpec, ...]
    fault: FaultSpec
    files: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    """Relative path -> text of every file written (the project as generated)."""

    def model(self, name: str) -> ModelSpec:
        """The model called `name`."""
        return next(m for m in self.models if m.name == name)

    def children(self, name: str) -> list[str]:
        """Models that depend directly on `name`."""
        return [m.name for m in self.models if name in m.parents]

    def standalone(self, name: str) -> StandaloneAuditSpec | None:
        """The standalone audit called `name`, if any."""
        return next((a for a in self.standalone_audits if a.name == name), None)

    def describe(self) -> str:
        """A few lines for reports: the DAG, kinds, audits and the fault."""
        lines = [f"seed {self.seed}: fault {self.fault.describe()}"]
        for m in self.models:
            kind = m.kind + (f"(batch_size {m.batch_size})" if m.batch_size else "") + (" python" if m.python else "")
            audits = ", ".join(f"{a.name}{'' if a.blocking else '~'}" for a in m.audits)
            lines.append(f"  {m.name} {kind} {m.cron} <- [{', '.join(m.parents)}] audits [{audits}]")
        for a in self.standalone_audits:
            lines.append(f"  standalone {a.name} over [{', '.join(a.models)}] {'blocking' if a.blocking else 'non-blocking'}")
        return "\n".join(lines)


# --- generation ----------------------------------------------------------------------------------


def fault_kind_of(seed: int) -> str:
    """The fault kind a seed injects."""
    return FAULT_KINDS[seed % len(FAULT_KINDS)]


def generate_project(seed: int, dest: Path) -> ProjectSpec:
    """Write the project of `seed` into `dest` (created) and return its spec; deterministic in `seed`."""
    rng = random.Random(seed)
    kind = fault_kind_of(seed)
    models = _generate_models(rng, kind)
    standalone = _generate_standalone_audits(rng, models)
    models, standalone = _ensure_fault_possible(rng, kind, models, standalone)
    fault = _choose_fault(rng, kind, models, standalone)
    files = render_files(models, standalone)
    dest.mkdir(parents=True, exist_ok=True)
    for relative, text in files.items():
        path = dest / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    write_faults(dest, [])
    return ProjectSpec(seed=seed, models=tuple(models), standalone_audits=tuple(standalone), fault=fault, files=files)


def _generate_models(rng: random.Random, fault_kind: str) -> list[ModelSpec]:
    count = rng.randint(3, 7)
    schemas = ["tp_a"] if rng.random() < 0.5 else ["tp_a", "tp_b"]
    # Termination needs a Python model that can block; elsewhere it is just one more kind.
    python_at = None
    if fault_kind == "termination":
        python_at = rng.randint(1, count - 1)
    elif rng.random() < 0.25:
        python_at = rng.randint(0, count - 1)
    models: list[ModelSpec] = []
    for index in range(count):
        name = f"{rng.choice(schemas)}.m{index}"
        earlier = [m.name for m in models]
        parents = tuple(sorted(rng.sample(earlier, min(len(earlier), rng.choice((0, 1, 1, 2))))))
        if index == python_at and not parents and earlier:
            parents = (rng.choice(earlier),)  # something upstream commits before it blocks
        cron = "@hourly" if rng.random() < 0.15 else "@daily"
        python = index == python_at
        kinds = ("FULL", "INCREMENTAL_BY_TIME_RANGE") if python else ("FULL", "VIEW", "INCREMENTAL_BY_TIME_RANGE")
        weights = (0.4, 0.6) if python else (0.3, 0.2, 0.5)
        kind = rng.choices(kinds, weights)[0]
        batch_size = None
        if kind == "INCREMENTAL_BY_TIME_RANGE":
            # Hourly batches of 1 or 2 would mean dozens of batches: too slow for a property test.
            batch_size = rng.choice((None, 24)) if cron == "@hourly" else rng.choice((1, 1, 2, None))
        audits = () if python else _generate_audits(rng)
        models.append(ModelSpec(name, kind, cron, parents, audits, batch_size, python))
    return models


def _generate_audits(rng: random.Random) -> tuple[AuditUse, ...]:
    chosen = rng.sample(INJECTABLE_AUDITS + PASSIVE_AUDITS, rng.choice((0, 1, 2, 2, 3)))
    uses: list[AuditUse] = []
    columns = 0
    for builtin in chosen:
        blocking = rng.random() < 0.6
        name = builtin
        if not blocking and builtin in ("not_null", "accepted_range") and rng.random() < 0.5:
            name = f"{builtin}_non_blocking"
        column = None
        if builtin in INJECTABLE_AUDITS:
            column = f"a{columns}"
            columns += 1
        uses.append(AuditUse(name=name, blocking=blocking, column=column))
    return tuple(uses)


def _generate_standalone_audits(rng: random.Random, models: list[ModelSpec]) -> list[StandaloneAuditSpec]:
    if rng.random() >= 0.35:
        return []
    audits = []
    for index in range(rng.choice((1, 1, 2))):
        over = tuple(sorted(rng.sample([m.name for m in models], min(len(models), rng.choice((1, 2))))))
        # SQLMesh refuses blocking standalone audits ("Standalone audits cannot be blocking").
        audits.append(StandaloneAuditSpec(name=f"tp_audit_{index}", models=over, blocking=False))
    return audits


def _ensure_fault_possible(
    rng: random.Random, kind: str, models: list[ModelSpec], standalone: list[StandaloneAuditSpec]
) -> tuple[list[ModelSpec], list[StandaloneAuditSpec]]:
    """Adjust the random project just enough that the seed's fault kind has a target."""
    if kind in ("blocking_audit", "non_blocking_audit"):
        blocking = kind == "blocking_audit"
        has_target = any(a.blocking == blocking for a in standalone) or any(
            a.column and a.blocking == blocking for m in models for a in m.audits
        )
        if not has_target:
            index = rng.choice([i for i, m in enumerate(models) if not m.python])
            model = models[index]
            used = {a.builtin for a in model.audits}
            builtin = next(b for b in INJECTABLE_AUDITS if b not in used)
            column = f"a{sum(1 for a in model.audits if a.column)}"
            use = AuditUse(name=builtin, blocking=blocking, column=column)
            models[index] = replace(model, audits=(*model.audits, use))
    if kind == "upstream_failure" and not _faultable_parents(models):
        # The first model (made faultable) feeds the last one.
        first, last = models[0], models[-1]
        if first.kind == "VIEW":
            models[0] = first = replace(first, kind="FULL")
        models[-1] = replace(last, parents=tuple(sorted({*last.parents, first.name})))
    return models, standalone


def _faultable(model: ModelSpec) -> bool:
    # A VIEW's query only runs when something reads the view: its SQL error would surface in a
    # child or an audit, not in the view's own evaluation.
    return model.kind != "VIEW"


def _faultable_parents(models: list[ModelSpec]) -> list[ModelSpec]:
    return [m for m in models if _faultable(m) and any(m.name in c.parents for c in models)]


def _choose_fault(rng: random.Random, kind: str, models: list[ModelSpec], standalone: list[StandaloneAuditSpec]) -> FaultSpec:
    if kind in ("none", "not_due"):
        return FaultSpec(kind)
    if kind == "subset":
        names = [m.name for m in models]
        picked = tuple(sorted(rng.sample(names, rng.randint(1, len(names) - 1))))
        return FaultSpec(kind, subset=picked)
    if kind == "termination":
        blocker = next(m for m in models if m.python)
        return FaultSpec(kind, target=blocker.name, day_offset=-2)
    if kind in ("sql_error", "upstream_failure"):
        pool = [m for m in models if _faultable(m)] if kind == "sql_error" else _faultable_parents(models)
        target = rng.choice(pool)
        multi_batch = target.kind == "INCREMENTAL_BY_TIME_RANGE" and target.batch_size == 1 and target.cron == "@daily"
        # On a batch_size-1 daily model the fault fails one of its two batches and SQLMesh still
        # commits the other (the batches do not depend on each other): partial either way; the
        # later day, the case where the first batch commits, is favoured.
        day = -1 if multi_batch and rng.random() < 0.7 else rng.choice((-2, -1))
        return FaultSpec(kind, target=target.name, day_offset=day)
    blocking = kind == "blocking_audit"
    candidates: list[tuple[str, str | None]] = [(m.name, a.name) for m in models for a in m.audits if a.column and a.blocking == blocking]
    standalone_candidates: list[tuple[str, str | None]] = [(a.name, None) for a in standalone if a.blocking == blocking]
    if standalone_candidates and (not candidates or rng.random() < 0.4):
        candidates = standalone_candidates
    target, audit = rng.choice(candidates)
    return FaultSpec(kind, target=target, audit=audit, day_offset=rng.choice((-2, -1)))


# --- rendering -----------------------------------------------------------------------------------

CONFIG = """\
# Generated by test/e2e/property/truth_projects.py. DuckDB file relative to the project (the
# directory SQLMesh runs in); a relative start so that a few intervals are due on every run day.
gateways:
  local:
    connection:
      type: duckdb
      database: db.duckdb

default_gateway: local

model_defaults:
  dialect: duckdb
  start: 2 days ago
"""


def render_files(models: list[ModelSpec], standalone: list[StandaloneAuditSpec]) -> dict[str, str]:
    """Relative path -> file text of the whole project."""
    files = {"config.yaml": CONFIG}
    for model in models:
        if model.python:
            files[f"models/{model.schema}_{model.table}.py"] = render_python_model(model)
        else:
            files[f"models/{model.schema}_{model.table}.sql"] = render_sql_model(model)
    for audit in standalone:
        files[f"audits/{audit.name}.sql"] = render_standalone_audit(audit)
    return files


def _fault_exists(model: str, kind: str) -> str:
    return f"EXISTS (SELECT 1 FROM {_READ_FAULTS} AS f WHERE f.model = '{model}' AND f.kind = '{kind}' AND f.day = CAST(slots.ts AS DATE))"


def render_sql_model(model: ModelSpec) -> str:
    """A SQL model: one row per cron interval of the evaluated range, failing on demand."""
    if model.kind == "INCREMENTAL_BY_TIME_RANGE":
        batch = f",\n    batch_size {model.batch_size}" if model.batch_size else ""
        kind = f"INCREMENTAL_BY_TIME_RANGE (\n    time_column ts{batch}\n  )"
    else:
        kind = model.kind
    audits = ""
    if model.audits:
        audits = ",\n  audits (\n" + ",\n".join(f"    {a.sql()}" for a in model.audits) + "\n  )"
    columns = [
        "  slots.ts",
        f"  CAST(CASE WHEN {_fault_exists(model.name, 'error')}\n"
        f"    THEN error('injected fault in {model.name} on ' || CAST(CAST(slots.ts AS DATE) AS VARCHAR))\n"
        "    ELSE 1 END AS INT) AS ok",
    ]
    for audit in model.audits:
        if audit.column:
            columns.append(
                f"  CAST(CASE WHEN {_fault_exists(model.name, audit.name)}\n"
                f"    THEN {audit.bad_value()} ELSE 1 END AS INT) AS {audit.column}"
            )
    upstream = " + ".join(f"(SELECT COUNT(*) FROM {p})" for p in model.parents) or "0"
    columns.append(f"  CAST({upstream} AS BIGINT) AS upstream_rows")
    select = ",\n".join(columns)
    if model.kind != "INCREMENTAL_BY_TIME_RANGE":
        # FULL and VIEW queries are rendered without a time range (@start_ts is undefined): they
        # hold the two days before the current UTC date, the days a fault can hit.
        today = "CAST(CAST(now() AT TIME ZONE 'UTC' AS DATE) AS TIMESTAMP)"
        series = f"{today} - INTERVAL 2 DAY, {today} - INTERVAL {model.step}"
    else:
        series = "CAST(@start_ts AS TIMESTAMP), CAST(@end_ts AS TIMESTAMP)"
    return (
        f"-- Generated by test/e2e/property/truth_projects.py; faults come from {FAULTS_FILE} at run time.\n"
        f"MODEL (\n  name {model.name},\n  kind {kind},\n  cron '{model.cron}'{audits}\n);\n\n"
        "WITH slots AS (\n"
        "  SELECT CAST(g.ts AS TIMESTAMP) AS ts\n"
        f"  FROM generate_series({series}, INTERVAL {model.step}) AS g(ts)\n"
        ")\n"
        f"SELECT\n{select}\nFROM slots\n"
    )


def render_python_model(model: ModelSpec) -> str:
    """A Python model: like the SQL ones, plus `block` (sleep until the run is terminated)."""
    if model.kind == "INCREMENTAL_BY_TIME_RANGE":
        batch = f", batch_size={model.batch_size}" if model.batch_size else ""
        kind = f'dict(name=ModelKindName.INCREMENTAL_BY_TIME_RANGE, time_column="ts"{batch})'
    else:
        kind = "dict(name=ModelKindName.FULL)"
    step = "timedelta(hours=1)" if model.cron == "@hourly" else "timedelta(days=1)"
    return f'''\
"""Generated by test/e2e/property/truth_projects.py; faults come from {FAULTS_FILE} at run time."""

import csv
import os
import time
from datetime import timedelta

import pandas as pd
from sqlmesh import model
from sqlmesh.core.model.kind import ModelKindName

FAULTS_FILE = "{FAULTS_FILE}"
MARKER = "{model.name}{BLOCK_MARKER_SUFFIX}"
BLOCK_TIMEOUT_S = {BLOCK_TIMEOUT_S}


def fault_kinds(start, end):
    """Kinds of the fault rows for this model whose day falls in [start, end]."""
    with open(FAULTS_FILE, newline="", encoding="utf-8") as handle:
        return {{
            row["kind"]
            for row in csv.DictReader(handle)
            if row["model"] == "{model.name}" and start.date().isoformat() <= row["day"] <= end.date().isoformat()
        }}


@model(
    "{model.name}",
    kind={kind},
    cron="{model.cron}",
    columns={{"ts": "timestamp", "ok": "int", "upstream_rows": "bigint"}},
    depends_on={sorted(model.parents)!r},
)
def execute(context, start, end, execution_time, **kwargs):
    kinds = fault_kinds(start, end)
    if "block" in kinds:
        # SQLMesh evaluates in its main thread (one concurrent task): SIGINT interrupts the sleep.
        with open(os.path.join(os.getcwd(), MARKER), "w", encoding="utf-8") as handle:
            handle.write(str(os.getpid()))
        deadline = time.monotonic() + BLOCK_TIMEOUT_S
        while time.monotonic() < deadline:
            time.sleep(0.05)
        raise RuntimeError("{model.name}: blocked for " + str(BLOCK_TIMEOUT_S) + " s and was never terminated")
    if "error" in kinds:
        raise RuntimeError("injected fault in {model.name}")
    slots = []
    moment = start
    while moment <= end:
        slots.append(moment)
        moment += {step}
    return pd.DataFrame({{"ts": slots, "ok": [1] * len(slots), "upstream_rows": [0] * len(slots)}})
'''


def render_standalone_audit(audit: StandaloneAuditSpec) -> str:
    """A standalone audit over its models; it returns rows (fails) only when a fault row asks for it."""
    upstream = " + ".join(f"(SELECT COUNT(*) FROM {m})" for m in audit.models)
    return (
        f"-- Generated by test/e2e/property/truth_projects.py; faults come from {FAULTS_FILE} at run time.\n"
        f"AUDIT (\n  name {audit.name},\n  standalone true,\n  blocking {'true' if audit.blocking else 'false'}\n);\n\n"
        f"SELECT f.day\nFROM {_READ_FAULTS} AS f\n"
        f"WHERE f.model = '{audit.name}' AND f.kind = 'audit'\n"
        "  AND f.day BETWEEN CAST(@start_ds AS DATE) AND CAST(@end_ds AS DATE)\n"
        f"  AND {upstream} >= 0\n"
    )


# --- faults at run time ----------------------------------------------------------------------------


def fault_rows(spec: ProjectSpec, run_date: date) -> list[tuple[str, str, str]]:
    """The faults.csv rows that inject the seed's fault for a run on `run_date` (UTC)."""
    fault = spec.fault
    if fault.target is None or fault.day_offset is None:
        return []
    day = (run_date + timedelta(days=fault.day_offset)).isoformat()
    if fault.kind == "termination":
        return [(fault.target, day, "block")]
    if fault.kind in ("sql_error", "upstream_failure"):
        return [(fault.target, day, "error")]
    if spec.standalone(fault.target) is not None:
        return [(fault.target, day, "audit")]
    return [(fault.target, day, fault.audit or "")]


def write_faults(project: Path, rows: list[tuple[str, str, str]]) -> None:
    """Replace the project's faults.csv (header only when `rows` is empty)."""
    with (project / FAULTS_FILE).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(FAULT_COLUMNS)
        writer.writerows(rows)
