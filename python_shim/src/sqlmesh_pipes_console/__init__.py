"""sqlmesh-pipes, SQLMesh side: runs inside the SQLMesh env. Never imports dagster."""
