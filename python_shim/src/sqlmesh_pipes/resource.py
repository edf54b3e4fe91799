"""``SQLMeshResource``: where the SQLMesh project is and how to run the executor on it.

Config (every field below) is what may change between runs; it is Dagster config, so the
launchpad can override it. The translator is definition-time only (it decides asset keys when
the code location loads) and is not config: pass it to the constructor,
``SQLMeshResource(project_dir=..., translator=MyTranslator())`` as in dg-sqlmesh, and the
factories read it from there. At run time the mapping from asset keys to models comes from the
asset definition's ``sqlmesh_pipes/...`` metadata, not from the translator.

A multi-repo SQLMesh project (``sqlmesh -p repo_1 -p repo_2``) is ``project_dir=[repo_1, repo_2]``:
SQLMesh runs in their common parent directory (``working_dir``), where relative paths in the
configs resolve and the manifest is written by default. Dagster config has no "a string or a list
of strings" type, so the field is a list and a single path (or ``EnvVar``) is wrapped into one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    ConfigurableResource,
    Failure,
    MaterializeResult,
    MetadataValue,
)
from pydantic import Field, PrivateAttr, field_validator

from sqlmesh_pipes_console.project_files import MANIFEST_FILENAME, working_directory
from sqlmesh_pipes_contracts import (
    DEFAULT_ENVIRONMENT,
    DEFAULT_TERMINATION_TIMEOUT_SECONDS,
    EXIT_CODE_MEANINGS,
    EXIT_USAGE,
    STOP_GRACE_SHARE,
)

from . import errors, executor
from .extras import build_run_extras, pipes_asset_key, pipes_extras
from .invocation import PipesRun
from .manifest import Manifest, read_manifest_file
from .manifest_prep import SQLMeshPython, prepare_manifest, sqlmesh_python_for
from .name_rules import VALID_NAME
from .results import (
    ResultGate,
    RunSummaryError,
    as_event,
    find_run_summary,
    log_outcomes,
    log_unevaluated_checks,
    record_as_events,
    run_failure,
)
from .specs import (
    AUDIT_INDEX_METADATA_KEY,
    AUDIT_NAME_METADATA_KEY,
    SelectedCheckRef,
    model_of,
)
from .time_partitions import partition_materializations
from .translator import SQLMeshTranslator

DEFAULT_MANIFEST_FILENAME = MANIFEST_FILENAME
"""Default manifest location, relative to ``working_dir`` (the project, or the common parent of a
multi-repo project's directories)."""
REGENERATE_ENV_VAR = "SQLMESH_PIPES_REGENERATE_MANIFEST"
"""Set to ``1`` to regenerate the manifest when definitions load (development)."""


def _plain(value: Any, kind: type) -> bool:
    """True for a literal value; ``EnvVar``s are resolved (and checked) by Dagster later."""
    return type(value) is kind


def _metadata_raw(value: Any) -> Any:
    return value.value if isinstance(value, MetadataValue) else value


def _project_list(value: Any) -> Any:
    """``project_dir`` as the list Dagster config holds: a path (``str``, ``EnvVar``, ``Path``) is
    wrapped, a tuple listed; anything else is left for validation to name."""
    if isinstance(value, str):  # EnvVar is a str too: Dagster resolves it inside the list
        return [value]
    if isinstance(value, os.PathLike):
        return [os.fspath(value)]
    if isinstance(value, tuple):
        return list(value)
    return value


class SQLMeshResource(ConfigurableResource):
    """Runs a SQLMesh project with the sqlmesh-pipes Node executor over Dagster Pipes.

    ``yield from sqlmesh.run(context)`` in a ``@multi_asset`` built from our specs runs ONE
    ``sqlmesh run`` for the selected models and yields what SQLMesh really did.
    """

    project_dir: list[str] = Field(
        description="Path of the SQLMesh project (the folder with config.yaml or config.py), as a list of "
        "one; for a multi-repo project the folders of its repos, in SQLMesh's load order (`sqlmesh -p "
        "repo_1 -p repo_2`: the first one's config gives the connection and the state). The constructor "
        "also takes a single path. SQLMesh runs in the project folder, or in the common parent folder of "
        "several: relative paths in their configs (a DuckDB database) resolve there."
    )
    gateway: str | None = Field(
        default=None, description="SQLMesh gateway; None uses the project's default gateway."
    )
    environment: str = Field(
        default=DEFAULT_ENVIRONMENT,
        description="SQLMesh environment to run (`sqlmesh run <environment>`). Plans are never applied.",
    )
    concurrency_limit: int | None = Field(
        default=None,
        description="SQLMesh concurrent_tasks for this run (how many models SQLMesh evaluates at once); "
        "None keeps the gateway's setting.",
    )
    ignore_cron: bool = Field(
        default=False,
        description="Run models even if their cron says they are not due (`sqlmesh run --ignore-cron`).",
    )
    fetch_row_counts: bool = Field(
        default=False,
        description="Count each materialized model's rows after its last batch (`dagster/row_count`): "
        "one COUNT(*) per model on SQLMesh's connection — a full scan on engines that keep no "
        "counts, the whole query for a VIEW. Off by default; JSON console only.",
    )
    sqlmesh_python: str | None = Field(
        default=None,
        description="Python interpreter of the SQLMesh environment (with sqlmesh installed); None lets "
        "the executor "
        "choose ($SQLMESH_PIPES_PYTHON, then this package's .venv, then python3).",
    )
    console: Literal["json", "text"] = Field(
        default="json",
        description="How the executor reads SQLMesh: 'json' (sqlmesh-pipes' console inside SQLMesh: exact "
        "per batch and per audit) or 'text' (SQLMesh's own unmodified output, parsed; for SQLMesh "
        "installations where the console cannot be injected).",
    )
    node_executable: str = Field(
        default="node", description="Node.js (>= 20) executable that runs the executor."
    )
    executor_path: str | None = Field(
        default=None,
        description="Path of the sqlmesh-pipes executor (dist/cli.js); None uses $SQLMESH_PIPES_EXECUTOR, "
        "else the "
        "dist/cli.js of the checkout this package is installed from.",
    )
    manifest_path: str | None = Field(
        default=None,
        description=f"Manifest JSON written by `sqlmesh-pipes manifest`; None means "
        f"<project_dir>/{DEFAULT_MANIFEST_FILENAME} (the common parent folder of a multi-repo "
        "project's).",
    )
    regenerate_manifest: bool = Field(
        default=False,
        description="Regenerate the manifest (needs the SQLMesh env) when definitions load. "
        f"For development; "
        f"{REGENERATE_ENV_VAR}=1 does the same.",
    )
    termination_timeout_seconds: float = Field(
        default=float(DEFAULT_TERMINATION_TIMEOUT_SECONDS),
        description="On run termination the executor gets SIGINT, then this long to stop SQLMesh, report "
        "what SQLMesh finished and close, before it is killed. The executor gives SQLMesh "
        f"{STOP_GRACE_SHARE:.0%} of it to stop before killing SQLMesh, so the executor itself always stops "
        "in time.",
    )

    _translator: SQLMeshTranslator | None = PrivateAttr(default=None)

    def __init__(self, *, translator: SQLMeshTranslator | None = None, **config: Any) -> None:
        if "project_dir" in config:
            # Before Dagster checks the config against the schema (a list): one path is a list of one.
            config["project_dir"] = _project_list(config["project_dir"])
        super().__init__(**config)
        if translator is not None and not isinstance(translator, SQLMeshTranslator):
            raise errors.SQLMeshPipesDefinitionError(
                errors.BAD_ARGUMENT_TYPE.format(
                    function="SQLMeshResource",
                    argument="translator",
                    expected="a SQLMeshTranslator instance",
                    value=translator,
                    type_name=type(translator).__name__,
                )
            )
        self._translator = translator

    # --- validation (literal values only; EnvVars are resolved later) ----------------------------

    @field_validator("project_dir", mode="before")
    @classmethod
    def _check_project_dir(cls, value: Any) -> Any:
        value = _project_list(value)
        if isinstance(value, list):
            if not value or any(_plain(item, str) and not item.strip() for item in value):
                raise ValueError(
                    errors.EMPTY_FIELD.format(field="project_dir", fix="give the SQLMesh project's folder")
                )
            plain = [os.path.abspath(item) for item in value if _plain(item, str)]
            repeated = sorted({item for item in plain if plain.count(item) > 1})
            if repeated:
                raise ValueError(
                    f"SQLMeshResource.project_dir lists {repeated[0]} twice: give each SQLMesh project "
                    "folder once."
                )
        return value

    @field_validator("environment", mode="before")
    @classmethod
    def _check_environment(cls, value: str) -> str:
        if _plain(value, str) and not VALID_NAME.match(value):
            raise ValueError(errors.INVALID_ENVIRONMENT.format(value=value))
        return value

    @field_validator("concurrency_limit", mode="before")
    @classmethod
    def _check_concurrency_limit(cls, value: int | None) -> int | None:
        if value is not None and _plain(value, int) and value < 1:
            raise ValueError(errors.INVALID_CONCURRENCY_LIMIT.format(value=value))
        return value

    @field_validator("node_executable", mode="before")
    @classmethod
    def _check_node(cls, value: str) -> str:
        if _plain(value, str) and not value.strip():
            raise ValueError(
                errors.EMPTY_FIELD.format(field="node_executable", fix="use 'node' or a path to it")
            )
        return value

    @field_validator("termination_timeout_seconds", mode="before")
    @classmethod
    def _check_timeout(cls, value: float) -> float:
        if type(value) in (int, float) and value <= 0:
            raise ValueError("SQLMeshResource.termination_timeout_seconds must be > 0 (seconds).")
        return value

    # --- definition-time helpers -------------------------------------------------------------------

    @property
    def translator(self) -> SQLMeshTranslator:
        """The translator given to the constructor, or the default one (one instance per resource)."""
        if self._translator is None:
            self._translator = SQLMeshTranslator()
        return self._translator

    @property
    def resolved_executor_path(self) -> str:
        return executor.resolve_executor_path(self.executor_path)

    @property
    def project_dirs(self) -> list[str]:
        """``project_dir`` (always a list): one folder, or a multi-repo project's in load order."""
        return list(self.project_dir)

    def _absolute_dirs(self) -> list[str]:
        """The project folders as absolute paths: the executor runs elsewhere (in ``working_dir``)."""
        return [os.path.abspath(d) for d in self.project_dirs]

    @property
    def working_dir(self) -> str:
        """Where SQLMesh runs: the project folder, or the common parent folder of a multi-repo
        project's (``sqlmesh -p repo_1 -p repo_2`` is run from there in SQLMesh's example)."""
        return str(working_directory(self.project_dirs))

    @property
    def pool(self) -> str:
        """The project's Dagster pool, ``sqlmesh:<project folder>[+<folder>...][@<gateway>]``: every
        run of its models is one step of this pool, whichever job launched it. Give the pool a
        limit of 1 (``dagster instance concurrency set POOL 1``, or ``concurrency.pools`` in
        dagster.yaml) and a second run waits for the first instead of racing on SQLMesh's state."""
        names = "+".join(Path(os.path.abspath(d)).name for d in self.project_dirs)
        pool = f"sqlmesh:{names}" + (f"@{self.gateway}" if self.gateway else "")
        return "_".join(pool.split())  # Dagster's pool names have no whitespace

    def _missing_project_dir(self) -> str | None:
        return next((d for d in self.project_dirs if not Path(d).is_dir()), None)

    @property
    def resolved_manifest_path(self) -> str:
        if self.manifest_path:
            return str(Path(self.manifest_path).resolve())
        return str((Path(self.working_dir) / DEFAULT_MANIFEST_FILENAME).resolve())

    @property
    def should_regenerate_manifest(self) -> bool:
        return self.regenerate_manifest or os.environ.get(REGENERATE_ENV_VAR, "").strip().lower() in {
            "1",
            "true",
            "yes",
        }

    def _manifest_hint(self) -> str:
        return errors.REGENERATE_HINT.format(
            executor=self.resolved_executor_path,
            project_dir=" --project ".join(self.project_dirs),
            manifest_path=self.resolved_manifest_path,
        )

    @property
    def sqlmesh_env(self) -> SQLMeshPython:
        """The SQLMesh env's python for manifests and runs: ``sqlmesh_python``, else the project's
        virtualenv, else the ``sqlmesh`` on PATH, else the executor's default."""
        return sqlmesh_python_for(self.project_dirs, self.sqlmesh_python)

    def regenerate(self, python: SQLMeshPython | None = None) -> None:
        """Write the manifest now with ``sqlmesh-pipes manifest`` (needs the SQLMesh env)."""
        missing = self._missing_project_dir()
        if missing is not None:
            raise errors.SQLMeshPipesDefinitionError(errors.PROJECT_DIR_MISSING.format(project_dir=missing))
        executor.generate_manifest(
            node=self.node_executable,
            executor=self.resolved_executor_path,
            project_dir=self._absolute_dirs(),
            out=self.resolved_manifest_path,
            gateway=self.gateway,
            sqlmesh_python=(python or self.sqlmesh_env).path,
        )

    def get_manifest(self) -> Manifest:
        """The project manifest, made ready first (built when missing; when stale, rebuilt under
        ``dagster dev`` or named in a warning: see manifest_prep)."""
        path = self.resolved_manifest_path
        missing = self._missing_project_dir()
        if not Path(path).is_file() and missing is not None:
            raise errors.SQLMeshPipesDefinitionError(errors.PROJECT_DIR_MISSING.format(project_dir=missing))
        prepare_manifest(
            manifest_path=path,
            project_dir=self.project_dirs,
            regenerate=self.should_regenerate_manifest,
            build=self.regenerate,
            python=self.sqlmesh_env,
            hint=self._manifest_hint(),
        )
        return read_manifest_file(path, hint=self._manifest_hint())

    # --- run ---------------------------------------------------------------------------------------

    def executor_command(self) -> list[str]:
        """argv of ``sqlmesh-pipes run``; the extras repeat these options (and win)."""
        argv = [self.node_executable, self.resolved_executor_path, "run"]
        for directory in self._absolute_dirs():
            argv += ["--project", directory]
        argv += ["--environment", self.environment]
        if self.gateway:
            argv += ["--gateway", self.gateway]
        python = self.sqlmesh_env.path
        if python:
            argv += ["--sqlmesh-python", python]
        if self.ignore_cron:
            argv.append("--ignore-cron")
        return argv

    def selection(
        self, context: AssetExecutionContext
    ) -> tuple[dict[AssetKey, str], list[tuple[AssetCheckKey, SelectedCheckRef]]]:
        """Selected asset keys → model names and selected checks → audit uses, from the spec metadata."""
        assets_def = context.assets_def
        models: dict[AssetKey, str] = {}
        for key in context.selected_asset_keys:
            models[key] = model_of(assets_def.specs_by_key[key].metadata)
        checks: list[tuple[AssetCheckKey, SelectedCheckRef]] = []
        for check_key in context.selected_asset_check_keys:
            metadata = assets_def.get_spec_for_check_key(check_key).metadata
            checks.append(
                (
                    check_key,
                    SelectedCheckRef(
                        model=model_of(metadata),
                        audit=_metadata_raw(metadata[AUDIT_NAME_METADATA_KEY]),
                        audit_index=int(_metadata_raw(metadata[AUDIT_INDEX_METADATA_KEY])),
                    ),
                )
            )
        return models, checks

    def run(
        self,
        context: AssetExecutionContext,
        *,
        execution_time: datetime | str | None = None,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        ignore_cron: bool | None = None,
        restate_models: Sequence[str] | None = None,
    ) -> Iterator[MaterializeResult | AssetCheckResult | AssetMaterialization]:
        """Run ``sqlmesh run`` once for the selection and yield its results as SQLMesh produces them.

        Only the selected models are in scope (the executor's contract: no upstream models are
        added). A model is materialized when SQLMesh committed batches of it in this run —
        partially (``sqlmesh/partial``) when a later batch failed. Results are yielded while SQLMesh
        runs; on a termination, what SQLMesh committed before it stopped is yielded before the
        interruption propagates. When SQLMesh failed, a ``dagster.Failure`` with its error text is
        raised after every result. ``execution_time``, ``start``/``end`` and ``ignore_cron`` (None:
        the resource's) are ``sqlmesh run``'s options; ``restate_models`` makes the run SQLMesh's
        restatement plan of those models instead (see ``SQLMeshRunConfig``).
        """
        models, checks = self.selection(context)
        partitioned = {
            spec.key: spec.partitions_def
            for spec in context.assets_def.specs
            if spec.partitions_def and spec.key in context.selected_asset_keys
        }
        # Partitioned assets in a run without partitions (a schedule's, "materialize all"): Dagster
        # resolves the step's outputs and check targets through the run's partition, which it has
        # none of, so every result is recorded as an event (partitions from SQLMesh's intervals).
        as_events = bool(partitioned) and not context.has_partition_key_range
        if partitioned and context.has_partition_key_range:
            if start is not None or end is not None:
                raise Failure(description=errors.PARTITIONS_AND_WINDOW, allow_retries=False)
            # The partitions' window: SQLMesh fills exactly their intervals (a backfill is one run).
            window = context.partition_time_window
            start, end = window.start.isoformat(), window.end.isoformat()
        manifest_path = self.resolved_manifest_path
        extras = build_run_extras(
            models=models,
            checks=checks,
            project_dir=self._absolute_dirs(),
            environment=self.environment,
            gateway=self.gateway,
            ignore_cron=self.ignore_cron if ignore_cron is None else ignore_cron,
            sqlmesh_python=self.sqlmesh_env.path,
            concurrent_tasks=self.concurrency_limit,
            manifest_path=manifest_path if Path(manifest_path).is_file() else None,
            execution_time=execution_time,
            start=start,
            end=end,
            termination_timeout_seconds=self.termination_timeout_seconds,
            console=self.console,
            fetch_row_counts=self.fetch_row_counts,
            restate_models=restate_models,
        )
        names = sorted(set(models.values()))
        context.log.info(
            f"sqlmesh run ({self.environment}): {len(names)} model(s) selected"
            + (f": {', '.join(names)}" if names else "")
            + f"; {len(checks)} check(s)."
        )
        missing = self._missing_project_dir()
        if missing is not None:
            raise Failure(
                description=errors.PROJECT_DIR_MISSING.format(project_dir=missing),
                allow_retries=False,
            )
        command = self.executor_command()
        try:
            executor.check_executor(command[1])
        except errors.SQLMeshPipesExecutorError as e:
            raise Failure(description=str(e), allow_retries=False) from e

        gate = ResultGate(
            selected_asset_keys=context.selected_asset_keys,
            selected_check_keys=context.selected_asset_check_keys,
            asset_deps=context.assets_def.asset_deps,
            log=context.log,
        )
        pipes_run = PipesRun(
            context,
            command=command,
            cwd=self.working_dir,
            extras=pipes_extras(extras),
            termination_timeout=self.termination_timeout_seconds,
            on_abandoned=lambda late: record_as_events(late, gate, context, partitioned),
        )
        stream = pipes_run.stream()
        try:
            for result in stream:
                admitted = gate.admit(result)
                if admitted is None:
                    continue
                if isinstance(admitted, MaterializeResult) and admitted.asset_key in partitioned:
                    yield from partition_materializations(admitted, partitioned[admitted.asset_key])
                elif as_events and isinstance(admitted, MaterializeResult):
                    yield as_event(admitted)
                elif as_events and isinstance(admitted, AssetCheckResult):
                    context.log_event(as_event(admitted))
                else:
                    yield admitted
        except FileNotFoundError as e:
            raise Failure(description=errors.NODE_NOT_FOUND.format(node=self.node_executable)) from e
        finally:
            stream.close()  # stops the executor if we leave early (a failure while yielding)

        process = pipes_run.executor
        code = process.returncode if process is not None else None
        if code != 0:
            raise Failure(
                description=errors.RUN_PROCESS_FAILED.format(
                    code=code if code is not None else "?",
                    meaning=EXIT_CODE_MEANINGS.get(code, "unexpected") if code is not None else "unknown",
                    error=(process.error_line() if process is not None else None) or "(no error line)",
                ),
                allow_retries=code != EXIT_USAGE,
            )
        try:
            summary = find_run_summary(pipes_run.custom_messages())
        except RunSummaryError as e:
            raise Failure(description=str(e), allow_retries=False) from None
        if summary is not None:
            log_outcomes(
                summary,
                log=context.log,
                model_by_key={pipes_asset_key(k): v for k, v in models.items()},
                reported_keys={pipes_asset_key(key) for key in gate.materialized},
            )
        log_unevaluated_checks(
            ((key, ref.model) for key, ref in checks), list(gate.checked.values()), summary, log=context.log
        )
        failure = run_failure(summary)
        if failure is not None:
            raise failure
