/**
 * The import rules of docs/architecture.md, checked by `npm run check:arch` (and CI). A rule
 * that fires names the importing file and the import; fix the import, not this file.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'Modules import each other: split out what both need into a leaf module.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'topologies-not-app',
      comment: 'topologies/ holds pure graphs; wiring to clients, breakers and migrations lives in src/app, which imports topologies, never the other way.',
      severity: 'error',
      from: { path: '^topologies/' },
      to: { path: '^src/(app|cli)/' },
    },
    {
      name: 'only-app-imports-topologies',
      comment: 'Only src/app (and the CLI that calls it) may import topologies/; domain modules and the runtime stay below the graphs.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(app|cli)/' },
      to: { path: '^topologies/' },
    },
    {
      name: 'streams-imports-no-domain',
      comment: 'src/streams is the general runtime: it may use src/obs, never biometrics, vendors, stages or config.',
      severity: 'error',
      from: { path: '^src/streams/' },
      to: { path: '^(src/|topologies/)', pathNot: '^src/(streams|obs)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
