/**
 * Progress on a TTY (bar with frames/s and ETA); silence otherwise, so logs and CI stay clean.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number): void;
  log(message: string): void;
  stop(): void;
}

export function createProgress(total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) {
    return { update() {}, log: (message) => stream.write(`${message}\n`), stop() {} };
  }
  // The rate counts from the first finished frame, so browser start-up does not drag it down.
  let first: { at: number; done: number } | undefined;
  const bar = new cliProgress.SingleBar(
    { format: 'rendering [{bar}] {value}/{total} frames | {rate} frames/s | ETA {eta_formatted}', stream, hideCursor: true, etaBuffer: 20 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { rate: '0.0' });
  let stopped = false;
  return {
    update(done) {
      const now = performance.now();
      first ??= { at: now, done };
      const seconds = (now - first.at) / 1000;
      bar.update(done, { rate: seconds > 0 ? ((done - first.done) / seconds).toFixed(1) : '…' });
    },
    log(message) {
      stream.write(`\r\x1b[K${message}\n`);
    },
    stop() {
      if (!stopped) bar.stop();
      stopped = true;
    },
  };
}
