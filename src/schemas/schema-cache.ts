import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What a process learned from the registry, kept on local disk for its next start: writer
 * schemas by id and the id of each subject's schema this process registered or looked up. The
 * store asks the registry first and reads here only when the registry does not answer, so a
 * stage restarted while the registry is away (it keeps its schemas in Postgres) decodes its
 * input and writes its output as before instead of pausing until it answers. Disk trouble
 * only costs the shortcut.
 */
export interface SchemaCache {
  schemaById(id: number): Promise<string | undefined>;
  rememberSchema(id: number, schema: string): Promise<void>;
  idOf(subject: string, schema: string): Promise<number | undefined>;
  rememberId(subject: string, schema: string, id: number): Promise<void>;
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A cache under `dir`, in a folder of its own per registry (`registry`: its URL), since ids are
 * only meaningful within one registry.
 */
export function fileSchemaCache(dir: string, registry: string): SchemaCache {
  const root = join(dir, digest(registry).slice(0, 16));
  const read = async (path: string): Promise<string | undefined> => {
    try {
      return await readFile(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  // Written whole under a temporary name, synced, and renamed, so neither a reader nor a machine
  // that lost power in between finds half a file (or an empty one) under the name.
  const write = async (folder: string, name: string, text: string): Promise<void> => {
    try {
      await mkdir(join(root, folder), { recursive: true });
      const temporary = join(root, folder, `.${name}.${process.pid}.tmp`);
      const file = await open(temporary, 'w');
      try {
        await file.writeFile(text);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, join(root, folder, name));
    } catch {
      // The cache is a shortcut: without it the registry is asked, as it always was.
    }
  };
  const subjectFile = (subject: string, schema: string) => `${digest(`${subject}\n${schema}`)}.id`;
  return {
    async schemaById(id) {
      const text = await read(join(root, 'ids', `${id}.avsc`));
      try {
        if (text !== undefined) JSON.parse(text);
        return text;
      } catch {
        return undefined; // not what was written: ask the registry
      }
    },
    rememberSchema: (id, schema) => write('ids', `${id}.avsc`, schema),
    async idOf(subject, schema) {
      const text = await read(join(root, 'subjects', subjectFile(subject, schema)));
      // Digits only: Number('') is 0, and an empty file must not name schema id 0.
      return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
    },
    rememberId: (subject, schema, id) => write('subjects', subjectFile(subject, schema), String(id)),
  };
}
