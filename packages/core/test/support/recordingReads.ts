import type { PartFile } from '../../src/ports/StoragePort.js';

/**
 * `object` with its member `key` replaced by `value`; its other members are its own, methods bound to it (a class's
 * methods that use private fields).
 */
export const overriding = <T extends object>(object: T, key: keyof T, value: unknown): T =>
  new Proxy(object, {
    get: (target, name) => {
      if (name === key) return value;
      const member: unknown = Reflect.get(target, name, target);
      return typeof member === 'function' ? member.bind(target) : member;
    },
  });

/** `part` with every `read` recorded: the buffer each was given to read into (`undefined`: none) goes on `buffers`. */
export const recordingReads = (part: PartFile, buffers: (Uint8Array | undefined)[]): PartFile =>
  overriding(part, 'read', (offset: number, length: number, into?: Uint8Array) => {
    buffers.push(into);
    return part.read(offset, length, into);
  });
