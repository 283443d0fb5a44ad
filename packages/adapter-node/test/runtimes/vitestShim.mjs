// `vitest` for core's contract suites run outside vitest, under each runtime (contractRunner.mjs, bundled by
// runtimes.test.ts): `describe` and `it` collect the cases, `expect` is vitest's own (`@vitest/expect` on chai),
// and `runCases` runs them one after another. Hooks are refused: a suite that needs them would run wrong here.
import { JestAsymmetricMatchers, JestChaiExpect, JestExtend } from '@vitest/expect';
import * as chai from 'chai';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

export const expect = chai.expect;

const cases = [];
const titles = [];

export const describe = (title, body) => {
  titles.push(title);
  try {
    body();
  } finally {
    titles.pop();
  }
};

export const it = (title, body) => {
  cases.push({ name: [...titles, title].join(' > '), body });
};

const refused = (name) => () => {
  throw new Error(`${name} is not supported by the runtime suite's runner`);
};
export const beforeAll = refused('beforeAll');
export const afterAll = refused('afterAll');
export const beforeEach = refused('beforeEach');
export const afterEach = refused('afterEach');

const skipped = Symbol('skipped');

/** The names of the cases collected, in order. */
export const caseNames = () => cases.map((c) => c.name);

/** Runs every case in order; `report` gets `{ name, status: 'passed' | 'failed' | 'skipped', message }` each. */
export const runCases = async (report) => {
  for (const { name, body } of cases) {
    try {
      await body({
        skip: () => {
          throw skipped;
        },
      });
      report({ name, status: 'passed', message: '' });
    } catch (error) {
      if (error === skipped) report({ name, status: 'skipped', message: '' });
      else report({ name, status: 'failed', message: String(error?.stack ?? error) });
    }
  }
};
