// Milliseconds from performance.now: a global in Node and in every browser, declared here
// because core builds against ES2022 alone (no DOM or Node types).
declare const performance: { now(): number };

export function now(): number {
  return performance.now();
}
