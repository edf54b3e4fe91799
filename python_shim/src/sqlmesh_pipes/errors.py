"""Error types and every user-facing error message of the Dagster side, in one place.

Each message names the problem, the offending value and the fix. Templates use ``str.format``
fields; keep them one logical sentence plus a fix so they read well in the Dagster UI.
"""

from __future__ import annotations

from dagster import DagsterInvalidDefinitionError


class SQLMeshPipesError(Exception):
    """Base class of every error raised by ``sqlmesh_pipes``."""


class SQLMeshPipesDefinitionError(SQLMeshPipesError, DagsterInvalidDefinitionError):
    """A mistake found while building definitions (bad argument, bad manifest, bad mapping)."""


class SQLMeshPipesManifestError(SQLMeshPipesDefinitionError):
    """The manifest file is missing, unreadable, of another version, or not shaped as expected."""


class SQLMeshPipesExecutorError(SQLMeshPipesError):
    """The Node executor (``sqlmesh-pipes``) could not be found or a command of it failed."""


# --- manifest -------------------------------------------------------------------------------------
REGENERATE_HINT = (
    "generate it with `node {executor} manifest --project {project_dir} --out {manifest_path}` "
    "as a deploy step (`dagster dev`, SQLMESH_PIPES_REGENERATE_MANIFEST=1 or "
    "SQLMeshResource(regenerate_manifest=True) rebuild it when definitions load)"
)
MANIFEST_NOT_FOUND = "SQLMesh manifest not found at {manifest_path}: {hint}."
MANIFEST_STALE = (
    "SQLMesh manifest {manifest_path} is stale: the project's files changed since it was built, so "
    "its assets may not match what SQLMesh runs — {hint}."
)
MANIFEST_NOT_JSON = "SQLMesh manifest {manifest_path} is not valid JSON ({error}): {hint}."
MANIFEST_VERSION_MISMATCH = (
    "SQLMesh manifest {manifest_path} has manifest_version {found!r} but this sqlmesh_pipes reads "
    "version {expected}: regenerate it with the sqlmesh-pipes executor of the same release ({hint})."
)
MANIFEST_SHAPE = "SQLMesh manifest {manifest_path} is invalid at {where}: {problem}. {hint}."
MANIFEST_DUPLICATE_MODEL = (
    "SQLMesh manifest {manifest_path} lists model {name!r} twice: regenerate the manifest."
)

# --- translation / specs --------------------------------------------------------------------------
EXTERNAL_MAPPING_INVALID = (
    "external_asset_mapping {template!r} is not a valid template ({problem}): write asset key parts "
    "separated by '/' with fields {{node.database}}, {{node.schema}}, {{node.name}} or {{node.fqn}}, "
    "e.g. 'target/main/{{node.name}}'."
)
EXTERNAL_MAPPING_IGNORED = (
    "external_asset_mapping {template!r} is ignored because a translator was given too: the "
    "translator's get_external_asset_key decides external keys (drop one of the two arguments)."
)
DUPLICATE_ASSET_KEY = (
    "SQLMesh models {first!r} and {second!r} both map to asset key {key}: make "
    "SQLMeshTranslator.get_asset_key return a distinct key for each model."
)
EXTERNAL_KEY_NOT_MAPPED = (
    "SQLMesh model {model!r} depends on external table {dep} but "
    "SQLMeshTranslator.get_external_asset_key returned {value!r} instead of an AssetKey: "
    "override get_external_asset_key in your translator to map it to the asset that produces it."
)
EXTERNAL_KEY_FAILED = (
    "SQLMesh model {model!r} depends on external table {dep} and "
    "SQLMeshTranslator.get_external_asset_key raised {error}: fix get_external_asset_key so it "
    "maps every external table (see the manifest's external_models) to an AssetKey."
)
EXTERNAL_KEY_IS_MODEL = (
    "SQLMesh model {model!r} depends on external table {dep}, which "
    "SQLMeshTranslator.get_external_asset_key maps to {key}, the key of SQLMesh model "
    "{other!r}: external tables must map to assets outside the SQLMesh project."
)
INVALID_ASSET_KEY = (
    "Asset key {key!r} of SQLMesh model {model!r} cannot be used: in a subsettable multi-asset each "
    "key part may hold only letters, digits, '_', '-' and '.' (Dagster derives op names from it); "
    "override SQLMeshTranslator.get_asset_key to return valid parts (e.g. replace spaces with '_')."
)
BAD_TRANSLATOR_RESULT = (
    "SQLMeshTranslator.{method} returned {value!r} for SQLMesh model {model!r}: expected {expected}."
)
INVALID_GROUP_NAME = (
    "Invalid group name {value!r} for SQLMesh model {model!r} (from {source}): a group name is "
    "letters, digits and '_' (segments may be joined by '/'); fix {fix}."
)
INVALID_OWNER = (
    "Invalid owner {value!r} for SQLMesh model {model!r}: Dagster owners are e-mail addresses or "
    "'team:<name>'; fix the model's owner or override SQLMeshTranslator.get_owners."
)

# --- factory arguments ----------------------------------------------------------------------------
INVALID_NAME = (
    "Invalid {what} {value!r}: use letters, digits and '_' only (Dagster names match ^[A-Za-z0-9_]+$)."
)
INVALID_FACTORY_GROUP_NAME = (
    "Invalid group_name {value!r}: a group name is letters, digits and '_' (segments may be joined by '/')."
)
BAD_ARGUMENT_TYPE = "{function}: {argument} must be {expected}, got {value!r} ({type_name})."
RESERVED_OP_TAG = (
    "{function}: op_tags may not carry {tag!r}: the 'sqlmesh_pipes/' namespace is reserved. To choose "
    "which models run, select their assets (UI, job selection); run options belong on SQLMeshResource."
)
NO_MODELS = (
    "SQLMesh manifest {manifest_path} has no models: nothing to define. Check project_dir and "
    "regenerate the manifest."
)

# --- resource -------------------------------------------------------------------------------------
EMPTY_FIELD = "SQLMeshResource.{field} must not be empty: {fix}."
INVALID_ENVIRONMENT = (
    "SQLMeshResource.environment {value!r} is not a SQLMesh environment name: use letters, digits "
    "and '_' (e.g. 'prod', 'dev')."
)
INVALID_CONCURRENCY_LIMIT = (
    "SQLMeshResource.concurrency_limit must be a positive integer (SQLMesh concurrent_tasks) or "
    "None for the gateway's own setting, got {value!r}."
)
PROJECT_DIR_MISSING = (
    "SQLMeshResource.project_dir {project_dir} is not a directory: point it at the SQLMesh project "
    "(the folder with config.yaml or config.py)."
)
EXECUTOR_NOT_FOUND = (
    "sqlmesh-pipes executor not found at {path}: install the npm package where the code location "
    "runs (`npm install sqlmesh-pipes-<version>.tgz` puts it in ./node_modules/.bin) or run "
    "`npm run build` in the sqlmesh-pipes checkout, or set SQLMeshResource(executor_path=...) or the "
    "SQLMESH_PIPES_EXECUTOR environment variable to its dist/cli.js."
)
NODE_NOT_FOUND = (
    "Node executable {node!r} not found: install Node >= 20 or set SQLMeshResource(node_executable=...) "
    "to its path."
)
EXECUTOR_COMMAND_FAILED = "`{command}` failed (exit {code}): {message}"
EXECUTOR_BAD_OUTPUT = "`{command}` printed {output!r}, not the expected JSON ({error})."

STANDALONE_AUDIT_UNATTACHED = (
    "SQLMesh standalone audit {audit} queries no model or external model of the project: it has no "
    "asset to be a check of, so Dagster does not show it (SQLMesh still runs it)."
)
EXTERNAL_CHECKS_DROPPED = (
    "This Dagster version cannot attach checks to assets a multi-asset does not materialize: the "
    "audits of external models are not shown as checks ({checks}). Pin dagster 1.13.27."
)

# --- run ------------------------------------------------------------------------------------------
RUN_FAILED = "SQLMesh run failed for {count} model(s): {models}.\n\n{error}"
RUN_NO_SUMMARY = (
    "The sqlmesh-pipes executor exited without its run summary, so the outcome of the SQLMesh run is "
    "unknown: check the step's stdout/stderr and that the executor version matches sqlmesh_pipes."
)
RUN_PROCESS_FAILED = (
    "The sqlmesh-pipes executor exited with code {code} ({meaning}): {error}\n"
    "Everything it reported before is recorded; its full output is in the step's stderr (compute "
    "logs) and in the '[pipes] external process pipes closed with exception' event."
)
RUN_SUMMARY_INVALID = (
    "The executor's run summary is invalid at {where}: {problem}. The executor and the sqlmesh_pipes "
    "Python package must come from the same sqlmesh-pipes release: reinstall both."
)

# --- schedule -------------------------------------------------------------------------------------
SCHEDULE_SKIP_NOTHING_DUE = (
    "No SQLMesh model, external model or standalone audit has a cron tick in ({since}, {at}]: "
    "nothing is due, no run (a run would only report every model as not due)."
)

SCHEDULE_SKIP_IN_PROGRESS = (
    "Run {run_id} of job {job_name} (it runs this SQLMesh project) is still {status}: skipping this "
    "tick so that two `sqlmesh run`s never overlap (SQLMesh decides at the next tick what is due)."
)

# --- component (defs.yaml) -----------------------------------------------------------------------
COMPONENT_BAD_ATTRIBUTE = (
    "{component} attribute `{key}` must be {expected}, got {value!r} ({type_name}): {fix}."
)
COMPONENT_BOTH_SPELLINGS = (
    "{component} attributes `{ours}` and `{theirs}` (dg-sqlmesh's name) set the same thing: keep one of them."
)
COMPONENT_NO_PROJECT = (
    "{component} needs the SQLMesh project: set `project` (the folder with config.yaml or config.py, "
    "relative to the defs.yaml folder, or a list of folders) or dg-sqlmesh's `sqlmesh_config.project_path`."
)
COMPONENT_PROJECT_NOT_A_DIRECTORY = (
    "{component} attribute `{key}`: {path} is not a directory: point it at the SQLMesh project folder "
    "(relative paths are relative to the defs.yaml folder, e.g. `{key}: ../sqlmesh_project`)."
)

PARTITIONS_AND_WINDOW = (
    "A partitioned run takes its window from its partitions: remove `start`/`end` from the run "
    "config (or launch the run without partitions to pass a window)."
)

BAD_TIME_PARTITIONS = (
    "time_partitions={value!r} is not a SQLMesh interval unit: pass True (every unit) or one of {units}."
)

MIXED_TIME_PARTITIONS = (
    "time_partitions gives the incremental models partitions of several interval units ({units}), "
    "and a Dagster job holds one partitions definition: pass time_partitions='{first}' (or another "
    "unit) to partition one unit, or build one job per unit yourself with sqlmesh_assets_factory."
)
