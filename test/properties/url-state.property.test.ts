import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STATE_OPTIONS, queryFromState, stateFromQuery } from '../../src/playground/state.js';
import { decodePoints, encodePoints } from '../../src/playground/points.js';
import { checkProperty, outcome, textOf } from './property.js';

/** Values a link may carry for an option: the kind the page writes mostly, anything sometimes. */
const text = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('0', '1', '3', '0.5', '1e-3', '100', 'adam', 'sgd', 'rprop', 'batch', 'epoch', 'soft', 'hard', 'off', 'relative', 'weights', 'block', 'learned', 'fixed', 'fixed,learned', 'backprop', 'backprop,local-parallel', 'spiral', 'circles', 'points', 'wasm', 'auto', '2-8-1', '2-16-16-1 hidden=tanh', 'default', '') },
  { weight: 2, arbitrary: fc.constantFrom('0.1,0.2,0;0.3,-0.4,1', '1,1,1;2,2,0;x', '0,0,9', '-0', '0x10', 'Infinity', 'NaN', '1,', ',') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const name = fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...STATE_OPTIONS.map((o) => o.name)) }, { weight: 1, arbitrary: fc.constantFrom('lr ', 'Seed', 'x', '') });
const query = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.tuple(name, text), { maxLength: 6 }).map((pairs) => new URLSearchParams(pairs).toString()) },
  // Hand-typed and mangled links: stray & = %, broken escapes.
  { weight: 2, arbitrary: textOf(['?', '&', '=', '%', '%2', '%zz', '+', 'lr', 'seed', 'dataset', 'points', '1', ',', ';', 'spiral']) },
);

describe("the playground's URL state", () => {
  it('any query gives a state whose link reads back to the same state with no problems (3000 inputs)', () => {
    let withProblems = 0;
    checkProperty(
      query,
      (q) => {
        const r = outcome(() => stateFromQuery(q));
        // Links never fail: what cannot be read is listed and keeps its default.
        expect(r.ok, r.ok ? '' : r.message).toBe(true);
        const { state, problems } = (r as { value: ReturnType<typeof stateFromQuery> }).value;
        if (problems.length > 0) withProblems++;
        for (const p of problems) expect(p.length).toBeGreaterThan(10);
        const link = queryFromState(state);
        const back = stateFromQuery(link.query);
        expect(back.problems).toEqual([]);
        // A link carries points only with dataset=points, where they are the data; elsewhere they are not part of the experiment.
        const meant = state.dataset === 'points' ? state : { ...state, points: [] };
        if (!link.pointsLeftOut) expect(back.state).toEqual(meant);
        return problems.length === 0;
      },
      3000,
    );
    expect(withProblems).toBeGreaterThan(100);
  });

  it("a link's points parse to points that encode to the same text, or refuse with a message (2000 inputs)", () => {
    const points = fc.oneof(
      fc.array(fc.tuple(fc.integer({ min: -2000, max: 2000 }).map((v) => v / 1000), fc.integer({ min: -2000, max: 2000 }).map((v) => v / 1000), fc.integer({ min: 0, max: 9 })), { maxLength: 8 }).map((ps) => ps.map((p) => p.join(',')).join(';')),
      textOf(['0', '1', '.5', '-', ',', ';', 'x', ' ', '9', 'e3']),
    );
    const { parsed } = checkProperty(
      points,
      (t) => {
        const r = outcome(() => decodePoints(t));
        if (!r.ok) return false;
        expect(decodePoints(encodePoints(r.value))).toEqual(r.value);
        return true;
      },
      2000,
    );
    expect(parsed).toBeGreaterThan(200);
  });
});
