/** At most this many points are drawn: a long run's losses are thinned by taking each stretch's mean. */
export const PLOT_POINTS = 400;

/**
 * The loss curve as an SVG polyline's points in a `width` x `height` box, log-scaled in y
 * between the decades of `scaleOf` (a loss of 0 or less is left out: no logarithm).
 */
export function lossPolyline(
  losses: readonly number[],
  width: number,
  height: number,
  scaleOf: readonly number[] = losses,
): { points: string; decades: Array<{ y: number; label: string }> } {
  const usable = (loss: number): boolean => loss > 0 && Number.isFinite(loss);
  const positive = losses.map((loss, i) => ({ i, loss })).filter(({ loss }) => usable(loss));
  const scale = scaleOf.filter(usable);
  if (positive.length === 0 || scale.length === 0) {
    return { points: '', decades: [] };
  }
  const stride = Math.max(1, Math.ceil(positive.length / PLOT_POINTS));
  const thinned: Array<{ i: number; loss: number }> = [];
  for (let at = 0; at < positive.length; at += stride) {
    const chunk = positive.slice(at, at + stride);
    thinned.push({ i: chunk[chunk.length - 1]!.i, loss: chunk.reduce((s, p) => s + p.loss, 0) / chunk.length });
  }
  const logs = thinned.map((p) => Math.log10(p.loss));
  // The y range of `scaleOf` (the raw losses), so that a smoothed line drawn over them agrees.
  const range = scale.reduce((r, loss) => [Math.min(r[0]!, loss), Math.max(r[1]!, loss)], [Infinity, 0]);
  const top = Math.ceil(Math.log10(range[1]!));
  const bottom = Math.min(Math.floor(Math.log10(range[0]!)), top - 1);
  const last = Math.max(1, losses.length - 1);
  const y = (log: number): number => ((top - log) / (top - bottom)) * height;
  const points = thinned.map((p, n) => `${((p.i / last) * width).toFixed(1)},${y(logs[n]!).toFixed(1)}`).join(' ');
  const decades = [];
  for (let d = bottom; d <= top; d++) {
    decades.push({ y: y(d), label: `1e${d}` });
  }
  return { points, decades };
}

/**
 * The running mean of the last `window` losses at each iteration: single losses jump with the
 * batch's damaged and re-seeded samples; the mean shows the trend.
 */
export function runningMean(losses: readonly number[], window = 20): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < losses.length; i++) {
    sum += losses[i]!;
    if (i >= window) {
      sum -= losses[i - window]!;
    }
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

/**
 * "3 min 20 s" left: a time budget's own (`budgetLeft` seconds), else the iterations left at
 * this rate; '' before a rate is known.
 */
export function timeLeft(iteration: number, total: number, perSecond: number, budgetLeft: number | null = null): string {
  if (budgetLeft === null && (!(perSecond > 0) || iteration >= total)) {
    return '';
  }
  const seconds = Math.round(budgetLeft ?? (total - iteration) / perSecond);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}
