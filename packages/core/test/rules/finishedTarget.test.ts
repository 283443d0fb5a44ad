import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/model/checkpoint.js';
import { isFinishedTarget } from '../../src/rules/finishedTarget.js';

const whole: Checkpoint = {
  version: 1,
  url: 'https://files.example/a.bin',
  validators: { etag: '"v1"', lastModified: null, date: null },
  totalLength: 1_000,
  ranges: [[0, 1_000]],
};

describe('isFinishedTarget', () => {
  it('R19: every byte counted, no part file, a target of exactly the total: the download is finished', () => {
    expect(isFinishedTarget({ url: whole.url, checkpoint: whole, partSize: 0, targetSize: 1_000 })).toBe(
      true,
    );
  });

  it('R21: no target, or a target of another length, is not finished (the part file is missing: restart)', () => {
    expect(isFinishedTarget({ url: whole.url, checkpoint: whole, partSize: 0, targetSize: null })).toBe(
      false,
    );
    expect(isFinishedTarget({ url: whole.url, checkpoint: whole, partSize: 0, targetSize: 999 })).toBe(false);
    expect(isFinishedTarget({ url: whole.url, checkpoint: whole, partSize: 0, targetSize: 1_001 })).toBe(
      false,
    );
  });

  it('R21: bytes in the part file mean a run that had not committed: never finished', () => {
    expect(isFinishedTarget({ url: whole.url, checkpoint: whole, partSize: 1_000, targetSize: 1_000 })).toBe(
      false,
    );
    expect(isFinishedTarget({ url: whole.url, checkpoint: whole, partSize: 1, targetSize: 1_000 })).toBe(
      false,
    );
  });

  it('R19: a checkpoint that does not count every byte of a known total proves nothing', () => {
    const facts = { url: whole.url, partSize: 0, targetSize: 1_000 };
    expect(isFinishedTarget({ ...facts, checkpoint: null })).toBe(false);
    expect(isFinishedTarget({ ...facts, checkpoint: { ...whole, ranges: [[0, 999]] } })).toBe(false);
    expect(isFinishedTarget({ ...facts, checkpoint: { ...whole, ranges: [[1, 1_000]] } })).toBe(false);
    expect(isFinishedTarget({ ...facts, checkpoint: { ...whole, totalLength: null } })).toBe(false);
  });

  it('R34: a checkpoint of another URL is never proof that this URL is finished, whatever the sizes say', () => {
    const facts = { checkpoint: whole, partSize: 0, targetSize: 1_000 };
    expect(isFinishedTarget({ ...facts, url: 'https://files.example/b.bin' })).toBe(false);
    // Not even a URL that differs in case or by a query only.
    expect(isFinishedTarget({ ...facts, url: 'https://files.example/A.bin' })).toBe(false);
    expect(isFinishedTarget({ ...facts, url: 'https://files.example/a.bin?v=2' })).toBe(false);
    expect(isFinishedTarget({ ...facts, url: whole.url })).toBe(true);
  });

  it('R14: a zero-length resource is never adopted (an empty part file is also the state before its commit)', () => {
    const empty: Checkpoint = { ...whole, totalLength: 0, ranges: [] };
    expect(isFinishedTarget({ url: whole.url, checkpoint: empty, partSize: 0, targetSize: 0 })).toBe(false);
  });
});
