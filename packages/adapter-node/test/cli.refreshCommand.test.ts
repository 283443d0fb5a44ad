import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REFRESH_MAX_STDOUT, refreshFromCommand, urlsFromOutput } from '../src/cli/refreshCommand.js';
import { isAlive } from './support/processes.js';
import { useTempDir } from './support/tempDir.js';

const expired = { url: 'https://b.example/k?X-Amz-Signature=old', status: 403 };
const dir = useTempDir('rdl-refresh-');

describe('--refresh-command', () => {
  it('R18: the first line the command prints is the URL, a second one the HEAD URL; blank lines and CRs are ignored', async () => {
    await expect(refreshFromCommand("printf 'https://b.example/k?sig=1\\r\\n'")(expired)).resolves.toEqual({
      url: 'https://b.example/k?sig=1',
    });
    await expect(
      refreshFromCommand("printf '\\nhttps://b.example/k?sig=2\\n\\nhttps://b.example/k?sig=3\\n'")(expired),
    ).resolves.toEqual({ url: 'https://b.example/k?sig=2', headUrl: 'https://b.example/k?sig=3' });
  });

  it('R18, R30: output that is not one or two http(s) URLs is refused without quoting it (it may hold secrets)', () => {
    expect(urlsFromOutput('')).toBe('it printed no URL');
    expect(urlsFromOutput('ftp://b.example/k?Signature=s3cret\n')).toBe(
      'its first line is not an http(s) URL',
    );
    expect(urlsFromOutput('https://b.example/k\nsecret words\n')).toBe(
      'its second line is not an http(s) URL',
    );
    expect(urlsFromOutput('https://a/\nhttps://b/\nhttps://c/\n')).toBe(
      'it printed 3 lines, not a URL and at most a HEAD URL',
    );
  });

  it('R29: a command that fails rejects with one line: its exit code and the first line of its stderr', async () => {
    await expect(
      refreshFromCommand('echo no credentials >&2; echo more >&2; exit 3')(expired),
    ).rejects.toThrow(/^it exited with 3: no credentials$/);
    await expect(refreshFromCommand('kill -TERM $$')(expired)).rejects.toThrow(/^it was killed by SIGTERM$/);
  });

  it('R29: a command that runs past its time is killed with every process it started, and rejects', async () => {
    const pidFile = join(dir(), 'pid');
    const refresh = refreshFromCommand(`sleep 600 & echo $! > ${pidFile}; wait`, {
      timeoutMs: 300,
      maxStdout: REFRESH_MAX_STDOUT,
    });
    await expect(refresh(expired)).rejects.toThrow(/^it ran longer than 0\.3 s$/);
    const pid = Number(await readFile(pidFile, 'utf8'));
    // The group was sent SIGKILL: the sleep ends as soon as the kernel has delivered it.
    while (await isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await isAlive(pid)).toBe(false);
  });

  it('R29: a command that prints without end is killed at the output bound, and rejects', async () => {
    await expect(
      refreshFromCommand('yes https://b.example/k', { timeoutMs: 30_000, maxStdout: 4096 })(expired),
    ).rejects.toThrow(/^it printed more than 4096 bytes$/);
  });
});
