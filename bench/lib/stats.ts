// Small statistics for benchmark reports: medians and ratios of runs measured side by side.
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function row(name: string, ms: readonly number[], baseline?: readonly number[]): string {
  const ratio = baseline ? `${(median(ms) / median(baseline)).toFixed(2)}×` : '';
  return `${name.padEnd(34)} ${`${median(ms).toFixed(0)} ms`.padStart(10)}  ${ratio.padStart(7)}   runs: ${ms.join(' ')}`;
}
