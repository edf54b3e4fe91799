"""sqlmesh-pipes, Dagster side: SQLMesh models as Dagster assets. Never imports sqlmesh.

The same names as dg-sqlmesh::

    from sqlmesh_pipes import (
        sqlmesh_definitions_factory, sqlmesh_assets_factory, sqlmesh_adaptive_schedule_factory,
        SQLMeshResource, SQLMeshTranslator,
    )
"""

from .asset_factory import SQLMESH_RESOURCE_KEY, sqlmesh_assets_factory, sqlmesh_external_asset_specs
from .component import SQLMeshProjectComponent
from .definitions import sqlmesh_definitions_factory
from .errors import (
    SQLMeshPipesDefinitionError,
    SQLMeshPipesError,
    SQLMeshPipesExecutorError,
    SQLMeshPipesManifestError,
)
from .external_mapping import ExternalAssetMappingTranslator
from .manifest import (
    Manifest,
    ManifestAudit,
    ManifestColumn,
    ManifestExternalModel,
    ManifestModel,
    ModelKind,
    read_manifest_file,
)
from .resource import SQLMeshResource
from .run_config import SQLMeshRunConfig
from .schedule import SQLMeshAdaptiveSchedule, SQLMeshScheduleAnalysis, sqlmesh_adaptive_schedule_factory
from .translator import SQLMeshTranslationContext, SQLMeshTranslator, SQLMeshTranslatorSettings

__all__ = [
    "SQLMESH_RESOURCE_KEY",
    "ExternalAssetMappingTranslator",
    "Manifest",
    "ManifestAudit",
    "ManifestColumn",
    "ManifestExternalModel",
    "ManifestModel",
    "ModelKind",
    "SQLMeshPipesDefinitionError",
    "SQLMeshPipesError",
    "SQLMeshPipesExecutorError",
    "SQLMeshPipesManifestError",
    "SQLMeshAdaptiveSchedule",
    "SQLMeshProjectComponent",
    "SQLMeshResource",
    "SQLMeshRunConfig",
    "SQLMeshScheduleAnalysis",
    "SQLMeshTranslationContext",
    "SQLMeshTranslator",
    "SQLMeshTranslatorSettings",
    "read_manifest_file",
    "sqlmesh_adaptive_schedule_factory",
    "sqlmesh_assets_factory",
    "sqlmesh_definitions_factory",
    "sqlmesh_external_asset_specs",
]
