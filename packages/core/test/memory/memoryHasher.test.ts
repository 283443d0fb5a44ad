import { describe, expect, it } from 'vitest';
import { MemoryHasher } from '../../src/memory/MemoryHasher.js';

const text = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('MemoryHasher', () => {
  it('R27: sha256 in lower-case hex, fed in pieces', () => {
    const state = new MemoryHasher().create('sha256');
    state.update(text('ab'));
    state.update(text('c'));
    expect(state.digest()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('R27: md5 in lower-case hex', () => {
    const state = new MemoryHasher().create('md5');
    state.update(text('abc'));
    expect(state.digest()).toBe('900150983cd24fb0d6963f7d28e17f72');
  });

  it('hashes nothing to the empty digest', () => {
    expect(new MemoryHasher().create('sha256').digest()).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});
