// `npm run check:arch`: the import rules of docs/architecture.md. dependency-cruiser checks the
// module rules of .dependency-cruiser.cjs (cycles, topologies ↔ src/app, a runtime free of domain
// code); this script adds what it cannot express: no two folders of src/ may import each other,
// even through different files. Prints every violation; exits 1 when there is one.
import { spawnSync } from 'node:child_process';
import { projectRoot } from '../src/cli/stack/paths.ts';

interface Cruised {
  modules: Array<{ source: string; dependencies: Array<{ resolved: string; coreModule: boolean; couldNotResolve: boolean }> }>;
  summary: {
    violations: Array<{ from: string; to: string; rule: { name: string }; cycle?: Array<{ name: string }> }>;
  };
}

const cruise = spawnSync('node_modules/.bin/depcruise', ['src', 'topologies', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
  cwd: projectRoot,
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
if (cruise.error || cruise.stdout.trim() === '') {
  console.error(`dependency-cruiser did not run: ${cruise.error?.message ?? cruise.stderr}`);
  process.exit(2);
}
const result = JSON.parse(cruise.stdout) as Cruised;

const problems: string[] = [];
for (const v of result.summary.violations) {
  const path = v.cycle ? [v.from, ...v.cycle.map((step) => step.name)].join(' → ') : `${v.from} → ${v.to}`;
  problems.push(`${v.rule.name}: ${path}`);
}

/** A folder of src/ (or a file directly in it), or topologies/: the units that may not import each other both ways. */
const unitOf = (path: string): string => /^(src\/[^/]+|topologies)(\/|$)/.exec(path)?.[1] ?? path;
const edges = new Map<string, Map<string, string>>(); // unit → unit → one import that makes the edge
for (const module of result.modules) {
  for (const dependency of module.dependencies) {
    if (dependency.coreModule || dependency.couldNotResolve || dependency.resolved.startsWith('node_modules/')) continue;
    const [from, to] = [unitOf(module.source), unitOf(dependency.resolved)];
    if (from === to) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from)!.has(to)) edges.get(from)!.set(to, `${module.source} → ${dependency.resolved}`);
  }
}

/** Strongly connected groups of units (Tarjan): every group of two or more is a folder cycle. */
function folderCycles(): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (unit: string): void => {
    index.set(unit, counter);
    low.set(unit, counter);
    counter += 1;
    stack.push(unit);
    onStack.add(unit);
    for (const next of edges.get(unit)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(unit, Math.min(low.get(unit)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(unit, Math.min(low.get(unit)!, index.get(next)!));
      }
    }
    if (low.get(unit) === index.get(unit)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== unit);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const unit of edges.keys()) if (!index.has(unit)) visit(unit);
  return groups;
}

for (const group of folderCycles()) {
  const imports = group.flatMap((from) => group.filter((to) => edges.get(from)?.has(to)).map((to) => `    ${edges.get(from)!.get(to)!}`));
  problems.push(`no-folder-cycle: ${group.join(' ↔ ')} import each other, e.g.\n${imports.join('\n')}`);
}

for (const problem of problems) console.log(`  error ${problem}`);
console.log(problems.length === 0 ? 'check:arch: no dependency violations' : `check:arch: ${problems.length} dependency violation(s)`);
process.exit(problems.length === 0 ? 0 : 1);
