import { idText, pick } from './body.ts';

/** Facts several plugins share. */
export const jsonBodies = { 'application/json': 'json' } as const;

export const hour = 3_600_000; // ms

/** The user id at `path` of a decoded body, as a list of none or one. */
export function userIdAt(...path: string[]): (body: unknown) => readonly string[] {
  return (body) => {
    const id = idText(pick(body, ...path));
    return id === undefined ? [] : [id];
  };
}
