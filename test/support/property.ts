/**
 * Property tests on plain fast-check: `test.prop([arbitraries], parameters?)(name, predicate)` is a
 * vitest test that asserts the predicate for every generated tuple (fast-check's global settings
 * apply, so the mutation run's fixed seed reaches it; a failure names the seed and the shrunk
 * counterexample). Importing this costs nothing, where a vitest integration package took seconds
 * per test run to load, which mutation testing pays once per mutant.
 */
import fc from 'fast-check';
import { it } from 'vitest';

/** The tuple of arbitraries generating `Ts`. */
type Arbitraries<Ts extends [unknown, ...unknown[]]> = { [K in keyof Ts]: fc.Arbitrary<Ts[K]> };

function prop<Ts extends [unknown, ...unknown[]]>(arbitraries: Arbitraries<Ts>, parameters?: fc.Parameters<Ts>) {
  return (name: string, predicate: (...values: Ts) => boolean | void): void => {
    it(name, () => {
      const property = (fc.property as (...args: unknown[]) => fc.IPropertyWithHooks<Ts>)(...arbitraries, predicate);
      fc.assert(property, parameters);
    });
  };
}

export const test = { prop };
export { fc };
