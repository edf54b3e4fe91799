import { describe, expect, it } from 'vitest';

// The package's public entry points, imported by name as a user would (the built `dist`, through
// package.json `exports`). The lists are the API on purpose: adding to it is a decision.

describe('package exports', () => {
  it("'sqlmesh-pipes': the runner, manifests, schedule, contracts and errors", async () => {
    const api = await import('sqlmesh-pipes');
    expect(Object.keys(api).sort()).toEqual(
      [
        'AdaptiveSchedule',
        'AuditFailure',
        'ConfigurationError',
        'ConsoleKind',
        'EVENTS_FD_ENV',
        'EXIT_CODE_MEANINGS',
        'EXTRAS_KEY',
        'EXTRAS_VERSION',
        'ExitCode',
        'MANIFEST_VERSION',
        'Manifest',
        'ManifestAudit',
        'ManifestColumn',
        'ManifestDrift',
        'ManifestExternalModel',
        'ManifestModel',
        'ManifestStandaloneAudit',
        'ModelOutcome',
        'NodeKind',
        'OUTCOME_LABELS',
        'RUN_SUMMARY_KIND',
        'RunExtras',
        'RunSummary',
        'RunSummaryModel',
        'SelectedCheck',
        'SqlmeshEvent',
        'SqlmeshPipesError',
        'SqlmeshRunError',
        'UsageError',
        'adaptiveSchedule',
        'buildManifest',
        'readManifestFile',
        'resolveSqlmeshPython',
        'runSqlmesh',
      ].sort(),
    );
    expect(new api.ConfigurationError('x')).toBeInstanceOf(api.SqlmeshPipesError);
    expect(new api.UsageError('x')).toBeInstanceOf(api.ConfigurationError);
  });

  it("'sqlmesh-pipes/pipes': open/with, the mock, md, errors, key helpers", async () => {
    const pipes = await import('sqlmesh-pipes/pipes');
    expect(Object.keys(pipes).sort()).toEqual(
      [
        'PipesError',
        'PipesInterruptedError',
        'assetKeyPath',
        'assetKeyToString',
        'isDagsterPipesProcess',
        'md',
        'openDagsterPipes',
        'openMockDagsterPipes',
        'withDagsterPipes',
      ].sort(),
    );
    expect(new pipes.PipesInterruptedError('SIGINT')).toBeInstanceOf(pipes.PipesError);
  });

  it("'sqlmesh-pipes/pipes/extend': loaders, writers and the wire format", async () => {
    const extend = await import('sqlmesh-pipes/pipes/extend');
    expect(Object.keys(extend)).toEqual(
      expect.arrayContaining(['PipesDefaultMessageWriter', 'PipesEnvVarParamsLoader', 'encodeParam', 'toPipesException']),
    );
  });
});
