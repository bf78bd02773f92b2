import cliProgress from 'cli-progress';
import type { IterationInfo } from '@nca-studio/core/training';
import { MAX_ITERATIONS } from '@nca-studio/weights-format';

export interface Progress {
  update(info: IterationInfo): void;
  stop(): void;
}

/** Where this process took the run up: iteration and training seconds so far (0 for a new run). */
export interface RunStart {
  iteration: number;
  seconds: number;
}

/** Rate over this process's iterations only, so a resumed run does not count the earlier ones. */
function iterationsPerSecond(start: RunStart, info: IterationInfo): number {
  const seconds = info.seconds - start.seconds;
  return seconds > 0 ? (info.iteration - start.iteration) / seconds : 0;
}

/** The iteration, and the last one where it is known (a time budget knows it once it settles). */
function position(info: IterationInfo): string {
  return info.timeLeft !== null && info.total >= MAX_ITERATIONS ? `${info.iteration}` : `${info.iteration}/${info.total}`;
}

/**
 * A live bar on a terminal: iteration, loss, it/s and the time left; it fills by iterations, or
 * by time for a run with a time budget (`budgetSeconds`).
 */
export function progressBar(stream: NodeJS.WriteStream, start: RunStart, total: number, budgetSeconds: number | null = null): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'train [{bar}] {position} | loss {loss} | {rate} it/s | {left} left',
      barsize: 24,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const byTime = budgetSeconds !== null;
  bar.start(byTime ? Math.round(budgetSeconds) : total, byTime ? Math.round(start.seconds) : start.iteration, {
    position: String(start.iteration),
    loss: '-',
    rate: '-',
    left: '-',
  });
  return {
    update(info) {
      const rate = iterationsPerSecond(start, info);
      const left = info.timeLeft ?? (info.total - info.iteration) / Math.max(1e-9, rate);
      bar.update(byTime ? Math.round(info.seconds) : info.iteration, {
        position: position(info),
        loss: info.loss.toExponential(3),
        rate: rate.toFixed(2),
        left: formatSeconds(left),
      });
    },
    stop: () => bar.stop(),
  };
}

/** One plain line every `every` iterations, for logs (CI, files, pipes). */
export function progressLines(write: (line: string) => void, every: number, start: RunStart): Progress {
  return {
    update(info) {
      if (info.iteration % every !== 0 && info.iteration !== info.total) {
        return;
      }
      const rate = iterationsPerSecond(start, info);
      const eta = info.timeLeft ?? (info.total - info.iteration) / Math.max(1e-9, rate);
      write(
        `iteration ${position(info)}  loss ${info.loss.toExponential(4)}  lr ${info.lr.toExponential(1)}  ${rate.toFixed(2)} it/s  ETA ${formatSeconds(eta)}`,
      );
    },
    stop() {},
  };
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) {
    return '?';
  }
  // Rounded once, so 179.6 s reads 3m00s, never 2m60s.
  const whole = Math.round(s);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const sec = whole % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
