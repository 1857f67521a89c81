// The standard normal distribution: CDF, upper tail and quantile, to near double precision
// (for DeLong's z tests and intervals; no dependency needed for three functions).

const INV_SQRT_2PI = 0.3989422804014327;

/** Standard normal density φ(x). @example normalPdf(0) // 0.3989… */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

// Marsaglia (2004): Φ(x) = 1/2 + φ(x)·(x + x³/3 + x⁵/15 + …), accurate for moderate |x|.
function centralSeries(x: number): number {
  let term = x;
  let sum = x;
  const x2 = x * x;
  for (let k = 3; k < 500; k += 2) {
    term *= x2 / k;
    const next = sum + term;
    if (next === sum) break;
    sum = next;
  }
  return sum;
}

// Upper tail for x ≥ 3 by the continued fraction Q(x) = φ(x) / (x + 1/(x + 2/(x + 3/(x + …)))),
// evaluated backwards; full relative precision in the far tail, where 1 - Φ would cancel.
function tailFraction(x: number): number {
  let f = x;
  for (let k = 300; k >= 1; k--) f = x + k / f;
  return normalPdf(x) / f;
}

/**
 * Upper tail 1 − Φ(x), without cancellation for large x.
 * @example normalSf(1.959963984540054) // 0.025
 */
export function normalSf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 3) return tailFraction(x);
  if (x <= -3) return 1 - tailFraction(-x);
  return 0.5 - normalPdf(x) * centralSeries(x);
}

/**
 * Standard normal CDF Φ(x).
 * @example normalCdf(0) // 0.5
 */
export function normalCdf(x: number): number {
  return normalSf(-x);
}

/**
 * Quantile Φ⁻¹(p): Acklam's rational approximation refined by one Halley step on {@link normalCdf}.
 * @example normalQuantile(0.975) // 1.959963984540054
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const plow = 0.02425;
  let x: number;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - plow) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // Halley refinement; the error of the tail forms is taken on the smaller side to avoid cancellation.
  for (let it = 0; it < 2; it++) {
    const e = p < 0.5 ? normalCdf(x) - p : 1 - p - normalSf(x); // Φ(x) − p
    const u = e / normalPdf(x);
    x = x - u / (1 + (x * u) / 2);
  }
  return x;
}
