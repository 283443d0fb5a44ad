import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/memory/MemoryStorage.js';
import type { PartFile } from '../../src/ports/StoragePort.js';
import { expectRight } from '../../src/testing/taskEitherAssertions.js';

/** The plain model: what reads see, and what was flushed. */
interface Model {
  current: number[];
  durable: number[];
}

type Op =
  | { kind: 'write'; offset: number; bytes: number[] }
  | { kind: 'truncate'; length: number }
  | { kind: 'flush' }
  | { kind: 'crash' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      offset: fc.nat(300),
      bytes: fc.array(fc.nat(255), { maxLength: 80 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), length: fc.nat(300) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('flush' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const) }) },
);

const applyToModel = (model: Model, step: Op): void => {
  switch (step.kind) {
    case 'write':
      // An empty write extends nothing, as pwrite(2) of 0 bytes.
      while (step.bytes.length > 0 && model.current.length < step.offset) model.current.push(0);
      step.bytes.forEach((byte, i) => {
        model.current[step.offset + i] = byte;
      });
      return;
    case 'truncate':
      model.current = model.current.slice(0, step.length);
      while (model.current.length < step.length) model.current.push(0);
      return;
    case 'flush':
      model.durable = [...model.current];
      return;
    case 'crash':
      model.current = [...model.durable];
      return;
  }
};

describe('MemoryStorage against a plain model', () => {
  it('R20, R21: any sequence of writes, truncates, flushes and crashes leaves what the model says', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
        const storage = new MemoryStorage();
        const model: Model = { current: [], durable: [] };
        let file: PartFile = await expectRight(storage.open('t'));
        for (const step of ops) {
          applyToModel(model, step);
          if (step.kind === 'write') await expectRight(file.write(step.offset, Uint8Array.from(step.bytes)));
          else if (step.kind === 'truncate') await expectRight(file.truncate(step.length));
          else if (step.kind === 'flush') await expectRight(file.flush());
          else {
            storage.crash();
            file = await expectRight(storage.open('t'));
          }
          expect(Array.from(storage.partOf('t') ?? [])).toEqual(model.current);
          expect(await expectRight(file.size())).toBe(model.current.length);
        }
        expect(Array.from(storage.durablePartOf('t') ?? [])).toEqual(model.durable);
      }),
      { numRuns: 200 },
    );
  });
});
