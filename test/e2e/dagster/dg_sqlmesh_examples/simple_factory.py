from dagster import AssetKey, Backoff, RetryPolicy  # noqa: F401

from sqlmesh_pipes import sqlmesh_definitions_factory  # changed: dg_sqlmesh

# All-in-one factory with external asset mapping!
defs = sqlmesh_definitions_factory(
    project_dir="sqlmesh_project",
    gateway="duckdb",  # changed: "postgres"
    external_asset_mapping="target/main/{node.name}",  # 🆕 NEW: Jinja2 template for external assets
    concurrency_limit=1,
    group_name="sqlmesh",
    op_tags={"team": "data", "env": "prod"},
    retry_policy=RetryPolicy(max_retries=1, delay=30.0, backoff=Backoff.EXPONENTIAL),
    enable_schedule=True,  # Enable adaptive scheduling
)
