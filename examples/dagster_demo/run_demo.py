"""Materialize every asset of the example through real Dagster and print what SQLMesh did.

Used by `npm run demo` after the project and its manifest are prepared; prints one row per
model (status, checks, batches, duration) read back from Dagster's event log. The run is recorded
in the instance of $DAGSTER_HOME (the demo's persistent one), so `dagster dev` on the same home
shows it; without $DAGSTER_HOME an ephemeral instance is used.
"""

from __future__ import annotations

import os
import sys
import time

from dagster import AssetKey, DagsterInstance

# Dagster's own DEBUG events would drown the executor's live INFO lines.
RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def _metadata_value(materialization, key: str):
    entry = materialization.metadata.get(key)
    return None if entry is None else entry.value


def main() -> int:
    from definitions import defs  # the example's definitions, beside this file

    job = defs.resolve_implicit_global_asset_job_def()
    persistent = bool(os.environ.get("DAGSTER_HOME"))
    with DagsterInstance.get() if persistent else DagsterInstance.ephemeral() as instance:
        started = time.perf_counter()
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=RUN_CONFIG)
        elapsed = time.perf_counter() - started

        materialized: dict[AssetKey, object] = {}
        for event in result.get_asset_materialization_events():
            materialized[event.asset_key] = event.step_materialization_data.materialization
        checks: dict[AssetKey, list[tuple[str, bool, str]]] = {}
        for evaluation in result.get_asset_check_evaluations():
            checks.setdefault(evaluation.asset_key, []).append((evaluation.check_name, evaluation.passed, evaluation.severity.value))

        rows = [("asset", "status", "checks", "batches", "duration")]
        for key in sorted(job.asset_layer.executable_asset_keys, key=lambda k: k.to_user_string()):
            mat = materialized.get(key)
            results = checks.get(key, [])
            failed = [f"{name} {severity}" for name, passed, severity in results if not passed]
            check_text = (
                "-"
                if not results
                else f"{len(results) - len(failed)} passed" + (f", {len(failed)} failed ({', '.join(failed)})" if failed else "")
            )
            if mat is None:
                rows.append((key.to_user_string(), "not materialized", check_text, "0", "-"))
                continue
            duration = _metadata_value(mat, "sqlmesh/duration_s")
            rows.append(
                (
                    key.to_user_string(),
                    "materialized",
                    check_text,
                    str(_metadata_value(mat, "sqlmesh/batches")),
                    f"{duration:.2f}s" if duration is not None else "-",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for index, row in enumerate(rows):
            print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
            if index == 0:
                print("  ".join("-" * w for w in widths))
        done = sum(1 for row in rows[1:] if row[1] == "materialized")
        print(
            f"\nDagster run {result.run_id[:8]}: {'succeeded' if result.success else 'FAILED'}; "
            f"{done}/{len(rows) - 1} assets materialized, "
            f"{sum(len(v) for v in checks.values())} checks evaluated, {elapsed:.1f}s"
        )
        schedule = next(iter(defs.schedules or []), None)
        if schedule is not None:
            print(f"Adaptive schedule {schedule.name}: cron {schedule.cron_schedule!r} (UTC)")
        return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
