import * as E from 'fp-ts/lib/Either.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import { expect } from 'vitest';
import type { StorageFailure } from '../ports/StoragePort.js';

/** Runs `task` and returns its `Right`, failing the test on a `Left` (or a rejection, which no port may do). */
export const expectRight = async <A>(task: TaskEither<StorageFailure, A>): Promise<A> => {
  const result = await task();
  if (E.isLeft(result)) expect.fail(`expected Right, got Left ${JSON.stringify(result.left)}`);
  return result.right;
};

/** Runs `task` and returns its `Left`, checking its `_tag`. */
export const expectLeft = async <A>(
  task: TaskEither<StorageFailure, A>,
  tag: StorageFailure['_tag'],
): Promise<StorageFailure> => {
  const result = await task();
  if (E.isRight(result)) expect.fail(`expected Left ${tag}, got Right`);
  expect(result.left._tag).toBe(tag);
  return result.left;
};
