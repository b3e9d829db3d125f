import cliProgress from 'cli-progress';

/**
 * What a training run shows while it runs: a cli-progress bar (step, it/s, ETA, the latest
 * losses) on a TTY, one plain line per logged step otherwise (logs, CI), nothing when quiet.
 * Messages (`note`) go above the bar, or as lines.
 */
export type ProgressMode = 'bar' | 'lines' | 'quiet';

export type Progress = Readonly<{
  update(step: number, metrics: Readonly<Record<string, number>>): void;
  note(line: string): void;
  stop(): void;
}>;

/** The losses shown: d_loss and g_loss first, then the penalties, 4 significant digits. */
export function formatLosses(metrics: Readonly<Record<string, number>>): string {
  return ['d_loss', 'g_loss', 'gp', 'r1', 'r2']
    .filter((k) => metrics[k] !== undefined)
    .map((k) => `${k} ${metrics[k]!.toPrecision(4)}`)
    .join('  ');
}

const formatSeconds = (s: number): string => {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
};

/** The display for a run from step `start` to `total`; `mode` from the TTY and --quiet (`progressMode`). */
export function makeProgress(o: Readonly<{ mode: ProgressMode; start: number; total: number; stream?: NodeJS.WriteStream }>): Progress {
  const stream = o.stream ?? process.stdout;
  const t0 = performance.now();
  const rate = (step: number): number => (step - o.start) / Math.max((performance.now() - t0) / 1000, 1e-9);
  if (o.mode === 'quiet') return { update: () => undefined, note: () => undefined, stop: () => undefined };
  if (o.mode === 'lines') {
    return {
      update(step, metrics) {
        const r = rate(step);
        stream.write(`step ${step}/${o.total}  ${r.toFixed(2)} it/s  ETA ${formatSeconds((o.total - step) / r)}  ${formatLosses(metrics)}\n`);
      },
      note: (line) => void stream.write(`${line}\n`),
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: '{bar} {value}/{total} | {rate} it/s | ETA {eta_formatted} | {losses}', stream, hideCursor: true, etaBuffer: 50, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  bar.start(o.total, o.start, { rate: '-', losses: '' });
  return {
    update: (step, metrics) => bar.update(step, { rate: rate(step).toFixed(2), losses: formatLosses(metrics) }),
    note(line) {
      stream.write(`\r\x1b[2K${line}\n`);
      bar.render();
    },
    stop: () => bar.stop(),
  };
}

/** bar on a TTY, lines when stdout is not one, quiet with --quiet. */
export const progressMode = (quiet: boolean, isTTY: boolean | undefined): ProgressMode => (quiet ? 'quiet' : isTTY === true ? 'bar' : 'lines');
