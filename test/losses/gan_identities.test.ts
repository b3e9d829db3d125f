/**
 * Identities of the GAN losses (Goodfellow et al. 2014, Mao et al. 2017, Arjovsky et al. 2017,
 * Lim & Ye 2017), checked through the library's own loss functions against float64 values
 * computed here from the formulas.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { grad } from '../../src/autodiff/index.js';
import { item, tensor, type Tensor } from '../../src/core/tensor.js';
import { bceWithLogits, GAN_LOSSES } from '../../src/losses/gan.js';
import { leakyRelu } from '../../src/ops/activations.js';
import { add, mul } from '../../src/ops/elementwise.js';
import { linear } from '../../src/ops/linalg.js';
import { slice } from '../../src/ops/shape.js';
import { useBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';

useBackend(referenceBackend);

const t1 = (xs: readonly number[]): Tensor => tensor([xs.length], xs);
const val = (t: Tensor): number => item(t);
const logit = (p: number): number => Math.log(p / (1 - p));
const f32 = (x: number): number => Math.fround(x);

/** A random discrete distribution over k points, every probability ≥ 0.02 (so p/(p+q) is not 0 or 1). */
const arbDistribution = (k: number): fc.Arbitrary<number[]> =>
  fc.array(fc.double({ min: 0.05, max: 1, noNaN: true }), { minLength: k, maxLength: k }).map((w) => {
    const s = w.reduce((a, b) => a + b, 0);
    return w.map((v) => v / s);
  });
const arbPair = fc.integer({ min: 2, max: 6 }).chain((k) => fc.tuple(arbDistribution(k), arbDistribution(k)));

const FAR = 1e4; // a logit whose BCE term against its own label is exactly 0 in float32

/**
 * The expected minimax D loss E_p[−log σ(l)·s − log(1 − σ(l))·(1 − s)] + E_q[−log(1 − σ(l))]
 * over k points with logits l, each point's terms isolated with the library's D loss by a far
 * logit on the other side (whose term is exactly 0).
 */
function expectedMinimaxD(l: Tensor, p: readonly number[], q: readonly number[], realLabel = 1): Tensor {
  let total: Tensor = tensor([], [0]);
  p.forEach((pk, k) => {
    const lk = slice(l, [k], [k + 1]);
    const realTerm = GAN_LOSSES.minimax.d(lk, t1([-FAR]), { realLabel });
    const fakeTerm = GAN_LOSSES.minimax.d(t1([FAR]), lk, { realLabel: 1 });
    total = add(total, add(mul(realTerm, pk), mul(fakeTerm, q[k]!)));
  });
  return total;
}

describe('GAN loss identities', () => {
  // Up to |x| = 15 the naive float64 formula is accurate (1 − σ(x) ≥ 3e-7 has no cancellation).
  it('BCE from logits equals the naive −y·log σ(x) − (1 − y)·log(1 − σ(x)) where that is finite', () => {
    fc.assert(
      fc.property(fc.double({ min: -15, max: 15, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (x, y) => {
        const s = 1 / (1 + Math.exp(-f32(x)));
        const naive = -(y * Math.log(s) + (1 - y) * Math.log(1 - s));
        fc.pre(Number.isFinite(naive));
        const ours = val(bceWithLogits(t1([x]), y));
        assert.ok(Math.abs(ours - naive) <= 1e-5 * (1 + Math.abs(naive)), `x ${x}, y ${y}: ${ours} vs ${naive}`);
      }),
    );
  });

  it('BCE from logits stays finite (and exact) for logits of magnitude 1e4, where the naive formula is not', () => {
    fc.assert(
      fc.property(fc.constantFrom(-1e4, 1e4), fc.double({ min: 0, max: 1, noNaN: true }), (x, y) => {
        const ours = val(bceWithLogits(t1([x]), y));
        // softplus(−x)·y + softplus(x)·(1 − y) = |x|·(label on the wrong side) + 0 at this magnitude.
        const exact = x > 0 ? (1 - y) * x : y * -x;
        assert.ok(Number.isFinite(ours), `x ${x}, y ${y}: ${ours}`);
        assert.ok(Math.abs(ours - exact) <= 1e-6 * (1 + exact), `x ${x}, y ${y}: ${ours} vs ${exact}`);
      }),
    );
  });

  it('at the optimal D*(x) = p/(p+q) the minimax D loss equals log 4 − 2·JSD(p, q)', () => {
    fc.assert(
      fc.property(arbPair, ([p, q]) => {
        const l = t1(p.map((pk, k) => logit(pk / (pk + q[k]!))));
        const m = p.map((pk, k) => (pk + q[k]!) / 2);
        const kl = (a: number[]): number => a.reduce((s, ak, k) => s + ak * Math.log(ak / m[k]!), 0);
        const jsd = (kl(p) + kl(q)) / 2;
        const ours = val(expectedMinimaxD(l, p, q));
        assert.ok(Math.abs(ours - (Math.log(4) - 2 * jsd)) <= 2e-5, `${ours} vs ${Math.log(4) - 2 * jsd}`);
      }),
    );
  });

  it('with one-sided label smoothing s the minimax D loss is stationary at D* = s·p/(p+q), and not at p/(p+q)', () => {
    fc.assert(
      fc.property(arbPair, fc.double({ min: 0.6, max: 0.95, noNaN: true }), ([p, q], s) => {
        const at = (d: (k: number) => number): number[] =>
          Array.from(grad((l: Tensor) => expectedMinimaxD(l, p, q, s))(t1(p.map((_, k) => logit(d(k))))).data);
        const smoothed = at((k) => (s * p[k]!) / (p[k]! + q[k]!));
        for (const g of smoothed) assert.ok(Math.abs(g) < 1e-5, `gradient ${g} at s·p/(p+q)`);
        const unsmoothed = at((k) => p[k]! / (p[k]! + q[k]!));
        assert.ok(unsmoothed.some((g) => Math.abs(g) > 1e-3), `gradient ${unsmoothed} at p/(p+q) should not vanish`);
      }),
    );
  });

  it('non-saturating and minimax G gradients have the same sign for every logit, the non-saturating one larger where D(G(z)) < 1/2', () => {
    fc.assert(
      fc.property(fc.double({ min: -15, max: 15, noNaN: true }).filter((x) => Math.abs(x) > 1e-3), (x) => {
        const gOf = (loss: typeof GAN_LOSSES.minimax): number => val(grad((f: Tensor) => loss.g(t1([0]), f))(t1([x])));
        const mm = gOf(GAN_LOSSES.minimax);
        const ns = gOf(GAN_LOSSES.nonsaturating);
        assert.equal(Math.sign(mm), Math.sign(ns), `logit ${x}: minimax ${mm}, non-saturating ${ns}`);
        const dOfG = 1 / (1 + Math.exp(-x));
        assert.equal(Math.abs(ns) > Math.abs(mm), dOfG < 0.5, `logit ${x}: |ns| ${Math.abs(ns)}, |mm| ${Math.abs(mm)}, D(G(z)) ${dOfG}`);
      }),
    );
  });

  it('the hinge D loss is zero exactly when every real logit is ≥ 1 and every fake logit ≤ −1', () => {
    const logits = fc.array(fc.oneof(fc.double({ min: -3, max: 3, noNaN: true }), fc.constantFrom(-1, 1)), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(logits, logits, (r, f) => {
        const loss = val(GAN_LOSSES.hinge.d(t1(r), t1(f)));
        const satisfied = r.every((x) => f32(x) >= 1) && f.every((x) => f32(x) <= -1);
        assert.equal(loss === 0, satisfied, `real ${r}, fake ${f}: loss ${loss}`);
      }),
    );
  });

  it('for any 1-Lipschitz critic on 1-D samples, E_p f − E_q f (the negated WGAN critic loss) is at most the exact W1 of the samples', () => {
    const samples = (n: number) => fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: n, maxLength: n });
    const arb = fc.integer({ min: 1, max: 8 }).chain((n) =>
      fc.record({
        xs: samples(n),
        ys: samples(n),
        w1: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
        b1: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
        w2: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ xs, ys, w1, b1, w2 }) => {
        const n1 = Math.hypot(...w1) || 1;
        const n2 = Math.hypot(...w2) || 1;
        // f(x) = w2·leaky(w1·x + b1) with ‖w1‖·‖w2‖ = 1 on a 1-D input: Lipschitz ≤ 1.
        const W1 = tensor([4, 1], w1.map((v) => v / n1));
        const W2 = tensor([1, 4], w2.map((v) => v / n2));
        const critic = (v: number[]): Tensor => linear(leakyRelu(linear(tensor([v.length, 1], v), W1, t1(b1)), 0.2), W2);
        const gap = -val(GAN_LOSSES.wasserstein.d(critic(xs), critic(ys)));
        const a = xs.map(f32).sort((u, v) => u - v);
        const b = ys.map(f32).sort((u, v) => u - v);
        const w1Exact = a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;
        assert.ok(gap <= w1Exact + 1e-5 * (1 + w1Exact), `E_p f − E_q f = ${gap} > W1 = ${w1Exact}`);
      }),
    );
  });

  it('the least-squares D loss (a = 0, b = 1) is stationary exactly at D* = (b·p + a·q)/(p + q)', () => {
    const [a, b] = [0, 1];
    fc.assert(
      fc.property(arbPair, ([p, q]) => {
        // Each point's real term isolated with fake output a (its term is 0), its fake term with real output b.
        const expected = (d: Tensor): Tensor => {
          let total: Tensor = tensor([], [0]);
          p.forEach((pk, k) => {
            const dk = slice(d, [k], [k + 1]);
            total = add(total, add(mul(GAN_LOSSES.least_squares.d(dk, t1([a])), pk), mul(GAN_LOSSES.least_squares.d(t1([b]), dk), q[k]!)));
          });
          return total;
        };
        const dStar = p.map((pk, k) => (b * pk + a * q[k]!) / (pk + q[k]!));
        for (const g of grad(expected)(t1(dStar)).data) assert.ok(Math.abs(g) < 1e-6, `gradient ${g} at D*`);
        const off = grad(expected)(t1(dStar.map((v) => v + 0.05))).data;
        for (const g of off) assert.ok(g > 0, `gradient ${g} above D* must be positive`);
      }),
    );
  });
});
