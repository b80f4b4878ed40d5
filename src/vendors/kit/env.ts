import { z } from 'zod';

/**
 * The zod pieces vendor config fragments and src/config/schema.ts share, so a comma-separated
 * list or a positive count reads the same whichever file declares the variable.
 */
export const positiveInt = z.coerce.number().int().positive();

export const csv = z
  .string()
  .transform((value) => value.split(',').map((part) => part.trim()).filter((part) => part !== ''));
