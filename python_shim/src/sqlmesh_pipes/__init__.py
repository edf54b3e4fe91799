"""sqlmesh-pipes, Dagster side: SQLMesh models as Dagster assets. Never imports sqlmesh."""
