/**
 * What a `refreshUrl` hook that threw or rejected is reported with (R18, R29): the first line of its error's
 * message (of the value itself when it is no `Error`), trimmed, `no reason given` when that is empty or cannot be
 * read. One function, so that a hook run in a browser page for a download in a worker fails with the words it would
 * in the same realm.
 */
export const refreshFailureLine = (error: unknown): string => {
  let text: string;
  try {
    text = error instanceof Error ? String(error.message) : String(error);
  } catch {
    // A thrown value with no way to be text (`Object.create(null)`, a throwing `toString`) is still the hook's failure.
    text = '';
  }
  return text.split(/\r?\n/, 1)[0]?.trim() || 'no reason given';
};
