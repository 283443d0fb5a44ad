import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/model/checkpoint.js';
import { announcedRestart, notices, trimNotice } from '../../src/rules/notices.js';
import { stored } from '../support/fixtures.js';

const empty: Checkpoint = { ...stored, ranges: [] };

describe('notices', () => {
  it('R22, R28: a fresh start after an unreadable checkpoint announces CHECKPOINT_INVALID; a first start nothing', () => {
    expect(announcedRestart({ _tag: 'Fresh', reason: null, checkpoint: empty }, true)).toBe(
      'CHECKPOINT_INVALID',
    );
    expect(announcedRestart({ _tag: 'Fresh', reason: null, checkpoint: empty }, false)).toBeNull();
    expect(announcedRestart({ _tag: 'Fresh', reason: 'RANGE_IGNORED', checkpoint: empty }, true)).toBe(
      'RANGE_IGNORED',
    );
    expect(announcedRestart({ _tag: 'Resume', offset: 400, checkpoint: stored }, true)).toBeNull();
  });

  it('R21: a resume that keeps fewer bytes than the part file holds says so', () => {
    expect(trimNotice({ _tag: 'Resume', offset: 400, checkpoint: stored }, 500, false)).toEqual(
      notices.partTrimmed(500, 400),
    );
    expect(trimNotice({ _tag: 'Resume', offset: 400, checkpoint: stored }, 400, false)).toBeNull();
    expect(trimNotice({ _tag: 'Fresh', reason: null, checkpoint: empty }, 400, false)).toBeNull();
    expect(notices.partTrimmed(500, 400).message).toBe(
      'the part file held 500 bytes, the checkpoint counts 400: the rest is fetched again',
    );
  });

  it('R21, R42: a segmented resume keeps every range: only bytes past the last one are a cut, and the count is theirs', () => {
    const ranged: Checkpoint = {
      ...stored,
      ranges: [
        [0, 100],
        [300, 450],
      ],
    };
    const plan = { _tag: 'Resume', offset: 100, checkpoint: ranged } as const;
    expect(trimNotice(plan, 450, true)).toBeNull();
    expect(trimNotice(plan, 500, true)).toEqual(notices.partTrimmed(500, 250));
    // A single stream on the same checkpoint keeps the prefix alone, and cuts the rest.
    expect(trimNotice(plan, 450, false)).toEqual(notices.partTrimmed(450, 100));
  });
});
