import { parse, type ParseError } from 'jsonc-parser';

/** A place in a text, both 1-based; the column counts UTF-16 code units. */
export interface TextPosition {
  readonly line: number;
  readonly column: number;
}

/**
 * Where `text` stops being JSON, from jsonc-parser's error offsets (strict JSON: no comments, no
 * trailing commas) rather than from JSON.parse's message: that message quotes the text around
 * the error (in an import file, a token), and for an unexpected token V8 gives no position at
 * all. Undefined when the text is JSON, or nested too deep for the parser to say.
 */
export function jsonErrorPosition(text: string): TextPosition | undefined {
  const errors: ParseError[] = [];
  try {
    parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  } catch (error) {
    if (error instanceof RangeError) return undefined; // the call stack, on absurd nesting
    throw error;
  }
  const first = errors[0];
  if (first === undefined) return undefined;
  const before = text.slice(0, first.offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: first.offset - lineStart + 1 };
}
