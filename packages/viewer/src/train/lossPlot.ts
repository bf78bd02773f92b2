/** At most this many points are drawn: a long run's losses are thinned by taking each stretch's mean. */
export const PLOT_POINTS = 400;

/**
 * The loss curve as an SVG polyline's points in a `width` x `height` box, log-scaled in y
 * between the losses' own decades (a loss of 0 or less is left out: no logarithm).
 */
export function lossPolyline(losses: readonly number[], width: number, height: number): { points: string; decades: Array<{ y: number; label: string }> } {
  const positive = losses.map((loss, i) => ({ i, loss })).filter(({ loss }) => loss > 0 && Number.isFinite(loss));
  if (positive.length === 0) {
    return { points: '', decades: [] };
  }
  const stride = Math.max(1, Math.ceil(positive.length / PLOT_POINTS));
  const thinned: Array<{ i: number; loss: number }> = [];
  for (let at = 0; at < positive.length; at += stride) {
    const chunk = positive.slice(at, at + stride);
    thinned.push({ i: chunk[chunk.length - 1]!.i, loss: chunk.reduce((s, p) => s + p.loss, 0) / chunk.length });
  }
  const logs = thinned.map((p) => Math.log10(p.loss));
  const top = Math.ceil(Math.max(...logs));
  const bottom = Math.min(Math.floor(Math.min(...logs)), top - 1);
  const last = Math.max(1, losses.length - 1);
  const y = (log: number): number => ((top - log) / (top - bottom)) * height;
  const points = thinned.map((p, n) => `${((p.i / last) * width).toFixed(1)},${y(logs[n]!).toFixed(1)}`).join(' ');
  const decades = [];
  for (let d = bottom; d <= top; d++) {
    decades.push({ y: y(d), label: `1e${d}` });
  }
  return { points, decades };
}

/** "3 min 20 s" left at this rate, or '' before a rate is known. */
export function timeLeft(iteration: number, total: number, perSecond: number): string {
  if (!(perSecond > 0) || iteration >= total) {
    return '';
  }
  const seconds = Math.round((total - iteration) / perSecond);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}
