from custom_translator_factory import SlingToSqlmeshTranslator  # changed: defined in the README's previous block
from dagster import Backoff, Definitions, RetryPolicy  # changed: Backoff was not imported

from sqlmesh_pipes import (  # changed: dg_sqlmesh
    SQLMeshResource,
    SQLMeshTranslator,  # noqa: F401
    sqlmesh_adaptive_schedule_factory,
    sqlmesh_assets_factory,
)

# SQLMesh resource configuration
sqlmesh_resource = SQLMeshResource(
    project_dir="sqlmesh_project",
    gateway="duckdb",  # changed: "postgres"
    translator=SlingToSqlmeshTranslator(),
    concurrency_limit=1,
)

# SQLMesh assets configuration
sqlmesh_assets = sqlmesh_assets_factory(
    sqlmesh_resource=sqlmesh_resource,
    group_name="sqlmesh",
    op_tags={"team": "data", "env": "prod"},
    retry_policy=RetryPolicy(max_retries=1, delay=30.0, backoff=Backoff.EXPONENTIAL),
)

# Adaptive schedule and job created automatically
sqlmesh_adaptive_schedule, sqlmesh_job, _ = sqlmesh_adaptive_schedule_factory(sqlmesh_resource=sqlmesh_resource)

defs = Definitions(
    assets=[sqlmesh_assets],
    jobs=[sqlmesh_job],
    schedules=[sqlmesh_adaptive_schedule],
    resources={
        "sqlmesh": sqlmesh_resource,
    },
)
