/** A place in a text, both 1-based; the column counts UTF-16 code units. */
export interface TextPosition {
  readonly line: number;
  readonly column: number;
}

class SyntaxErrorAt {
  readonly offset: number;
  constructor(offset: number) {
    this.offset = offset;
  }
}

/**
 * Where `text` stops being JSON (RFC 8259), found by scanning its grammar rather than read from
 * JSON.parse's message: that message quotes the text around the error (in an import file, a
 * token), and for an unexpected token V8 gives no position at all. Undefined when the scan finds
 * no error (nesting too deep to scan is the one way).
 */
export function jsonErrorPosition(text: string): TextPosition | undefined {
  let offset: number | undefined;
  try {
    offset = firstErrorOffset(text);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error; // the call stack, on absurd nesting
  }
  if (offset === undefined) return undefined;
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

function firstErrorOffset(text: string): number | undefined {
  let at = 0;
  const stop = (): never => {
    throw new SyntaxErrorAt(at);
  };
  const space = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  };
  const expect = (char: string) => {
    if (text[at] !== char) stop();
    at++;
  };
  const digits = () => {
    const from = at;
    while (at < text.length && text[at]! >= '0' && text[at]! <= '9') at++;
    if (at === from) stop();
  };
  const hex = /^[0-9a-fA-F]$/;
  const string = () => {
    expect('"');
    for (;;) {
      if (at >= text.length) stop();
      const code = text.charCodeAt(at);
      if (code === 0x22) return void at++;
      if (code < 0x20) stop(); // control characters must be escaped
      if (code !== 0x5c) {
        at++;
        continue;
      }
      at++;
      const escaped = text[at];
      if (escaped === 'u') {
        at++;
        for (let k = 0; k < 4; k++) {
          if (!hex.test(text[at] ?? '')) stop();
          at++;
        }
      } else if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) at++;
      else stop();
    }
  };
  const number = () => {
    if (text[at] === '-') at++;
    if (text[at] === '0') at++;
    else digits();
    if (text[at] === '.') {
      at++;
      digits();
    }
    if (text[at] === 'e' || text[at] === 'E') {
      at++;
      if (text[at] === '+' || text[at] === '-') at++;
      digits();
    }
  };
  const literal = (word: string) => {
    for (const char of word) expect(char);
  };
  const members = (close: string, member: () => void) => {
    at++;
    space();
    if (text[at] === close) return void at++;
    for (;;) {
      member();
      space();
      if (text[at] !== ',') return expect(close);
      at++;
    }
  };
  const value = (): void => {
    space();
    const first = text[at];
    if (first === '{') {
      return members('}', () => {
        space();
        string();
        space();
        expect(':');
        value();
      });
    }
    if (first === '[') return members(']', value);
    if (first === '"') return string();
    if (first === '-' || (first !== undefined && first >= '0' && first <= '9')) return number();
    if (first === 't') return literal('true');
    if (first === 'f') return literal('false');
    if (first === 'n') return literal('null');
    stop();
  };
  try {
    value();
    space();
    if (at < text.length) stop(); // more after the value
    return undefined;
  } catch (error) {
    if (error instanceof SyntaxErrorAt) return error.offset;
    throw error;
  }
}
