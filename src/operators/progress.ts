/** Progress of a long copy: a redrawn bar on a terminal, one plain line at a time otherwise. */
export interface Progress {
  advance(count: number): void;
  done(): void;
}

export interface ProgressOptions {
  total: number;
  label: string;
  /** Where to draw; stderr keeps stdout for the summary a script may parse. */
  stream?: NodeJS.WriteStream;
  now?: () => number;
  /** Plain mode: at most one line per this many ms. */
  lineEveryMs?: number;
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

/** One progress line: count, percent and an ETA from the average rate so far. */
export function formatProgress(done: number, total: number, elapsedMs: number, width = 0): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0;
  const eta = rate > 0 ? formatDuration(((total - done) / rate) * 1000) : '?';
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const bar = width > 0 ? `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '.')}] ` : '';
  return `${bar}${done}/${total} ${percent} ${rate.toFixed(0)} rec/s ETA ${eta}`;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const startedAt = now();
  const tty = stream.isTTY === true;
  const lineEveryMs = options.lineEveryMs ?? 2_000;
  let done = 0;
  let lastLineAt = startedAt;

  const draw = () => {
    const line = `${options.label} ${formatProgress(done, options.total, now() - startedAt, 30)}`;
    stream.write(`\r${line.slice(0, (stream.columns ?? 120) - 1)}`);
  };
  return {
    advance(count) {
      done += count;
      if (tty) {
        draw();
      } else if (now() - lastLineAt >= lineEveryMs) {
        lastLineAt = now();
        stream.write(`${options.label} ${formatProgress(done, options.total, now() - startedAt)}\n`);
      }
    },
    done() {
      if (tty) {
        draw();
        stream.write('\n');
      } else {
        stream.write(`${options.label} ${formatProgress(done, options.total, now() - startedAt)}\n`);
      }
    },
  };
}
