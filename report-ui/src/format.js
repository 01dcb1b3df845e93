// Words and numbers as the text report writes them. The JSON mapping of protobuf writes 64-bit
// integers as strings, so every count goes through num().

export function num(value) {
  return Number(value ?? 0);
}

export function plural(count, word, many = `${word}s`) {
  return `${count.toLocaleString('en-US')} ${count === 1 ? word : many}`;
}

export function duration(seconds) {
  // The agent's and the tracer's waits are often under a second: 0s would say no wait at all.
  if (seconds > 0 && seconds < 0.9995) return `${Math.max(1, Math.round(seconds * 1000))}ms`;
  if (seconds < 10 && !Number.isInteger(seconds)) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  // Whole hours and days without ".0": bucket edges read 1h, 6h, 1d, 7d.
  if (seconds < 86400) return `${(seconds / 3600).toFixed(seconds < 36000 ? 1 : 0).replace(/\.0$/, '')}h`;
  return `${(seconds / 86400).toFixed(1).replace(/\.0$/, '')}d`;
}

export function site(frame) {
  if (!frame || !frame.function) return '';
  return frame.file ? `${frame.function} (${frame.file}:${num(frame.line)})` : frame.function;
}

export function sameFrame(a, b) {
  return !!a && !!b && a.function === b.function && a.file === b.file && num(a.line) === num(b.line);
}

export const VERDICT_WORD = { LEAK: 'leak', SUSPECT: 'suspect', EXPECTED: 'expected' };

export function verdictOf(cluster) {
  return VERDICT_WORD[cluster.verdict] ?? 'expected';
}
