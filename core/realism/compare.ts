/**
 * Two-sample chi-square test of homogeneity for small non-negative integer data (spans per
 * request, depth): do two samples come from the same distribution? Values are binned one bin per
 * value; neighbouring bins are merged from the top down until every bin expects at least
 * `minExpected` observations in each sample, so the chi-square approximation holds.
 */

export interface ChiSquareResult {
  readonly statistic: number;
  readonly df: number;
  /** P(X >= statistic) under the null hypothesis (same distribution). */
  readonly pValue: number;
  /** Bins used, as [lowest value, highest value] (the last may be open: highest = Infinity). */
  readonly bins: readonly (readonly [number, number])[];
  readonly observedA: readonly number[];
  readonly observedB: readonly number[];
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; about 15 significant digits). */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized upper incomplete gamma Q(s, x) = Γ(s, x) / Γ(s). */
export function gammaQ(s: number, x: number): number {
  if (x <= 0) return 1;
  const lead = -x + s * Math.log(x) - lnGamma(s);
  if (x < s + 1) {
    // Series for P(s, x).
    let sum = 1 / s;
    let term = sum;
    for (let n = 1; n < 500; n++) {
      term *= x / (s + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lead));
  }
  // Continued fraction for Q(s, x) (modified Lentz).
  const tiny = 1e-300;
  let b = x + 1 - s;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - s);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.min(1, Math.exp(lead) * h);
}

/** P(X >= x) for X chi-square with `df` degrees of freedom. */
export function chiSquareSurvival(x: number, df: number): number {
  return gammaQ(df / 2, x / 2);
}

/** Chi-square test that samples `a` and `b` (non-negative integers) share one distribution. */
export function chiSquareTwoSample(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  minExpected = 5,
): ChiSquareResult {
  const na = a.length;
  const nb = b.length;
  if (na === 0 || nb === 0) throw new RangeError("chiSquareTwoSample needs two non-empty samples");
  let top = 0;
  for (let i = 0; i < na; i++) top = Math.max(top, a[i]);
  for (let i = 0; i < nb; i++) top = Math.max(top, b[i]);
  const ca = new Array<number>(top + 1).fill(0);
  const cb = new Array<number>(top + 1).fill(0);
  for (let i = 0; i < na; i++) ca[a[i]]++;
  for (let i = 0; i < nb; i++) cb[b[i]]++;
  // Expected count of a bin in each sample: (its pooled count) * n / (na + nb).
  const enough = (pooled: number): boolean =>
    (pooled * na) / (na + nb) >= minExpected && (pooled * nb) / (na + nb) >= minExpected;
  const bins: [number, number][] = [];
  const oa: number[] = [];
  const ob: number[] = [];
  let lo = top;
  let sa = 0;
  let sb = 0;
  // From the top value down, accumulate until the bin has enough; the tail bin is open-ended.
  for (let v = top; v >= 0; v--) {
    sa += ca[v];
    sb += cb[v];
    if (enough(sa + sb) || v === 0) {
      bins.unshift([v, bins.length === 0 ? Infinity : lo]);
      oa.unshift(sa);
      ob.unshift(sb);
      sa = 0;
      sb = 0;
      lo = v - 1;
    }
  }
  // A lowest bin with too little goes into its neighbour.
  while (bins.length > 1 && !enough(oa[0] + ob[0])) {
    bins[1] = [bins[0][0], bins[1][1]];
    oa[1] += oa[0];
    ob[1] += ob[0];
    bins.shift();
    oa.shift();
    ob.shift();
  }
  let statistic = 0;
  for (let i = 0; i < bins.length; i++) {
    const pooled = oa[i] + ob[i];
    const ea = (pooled * na) / (na + nb);
    const eb = (pooled * nb) / (na + nb);
    if (ea > 0) statistic += (oa[i] - ea) ** 2 / ea;
    if (eb > 0) statistic += (ob[i] - eb) ** 2 / eb;
  }
  const df = Math.max(1, bins.length - 1);
  return {
    statistic,
    df,
    pValue: bins.length < 2 ? 1 : chiSquareSurvival(statistic, df),
    bins,
    observedA: oa,
    observedB: ob,
  };
}
