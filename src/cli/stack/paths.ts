import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

export const projectRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** Everything the native stack keeps: downloads, data, logs, pid files. Git ignores it. */
export const stackRoot = process.env['BRIDGE_STACK_DIR'] ?? join(projectRoot, '.stack');

export const stackPaths = {
  root: stackRoot,
  downloads: join(stackRoot, 'downloads'),
  logs: join(stackRoot, 'logs'),
  run: join(stackRoot, 'run'),
  service: (name: string) => join(stackRoot, name),
  log: (name: string) => join(stackRoot, 'logs', `${name}.log`),
  pid: (name: string) => join(stackRoot, 'run', `${name}.pid`),
  pom: join(projectRoot, 'stack', 'pom.xml'),
};
