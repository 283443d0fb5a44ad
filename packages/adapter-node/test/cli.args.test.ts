import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { printable } from '@rdl/core/rules';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommand, usage } from '../src/cli/args.js';
import { parseInputFile } from '../src/cli/inputFile.js';
import { defaultFileName, fallbackFileName, resolveOutputPath } from '../src/cli/outputPath.js';
import { resumeCommand, shellWord } from '../src/cli/resumeCommand.js';
import { runCliInProcess } from './support/cliInProcess.js';

const url = 'https://example.test/files/data.bin';

const parsed = async (argv: string[]) => {
  const result = await parseCommand(argv);
  if (E.isLeft(result)) throw new Error(result.left._tag);
  if (result.right._tag !== 'Download') throw new Error(result.right._tag);
  return result.right.args;
};

const refusal = async (argv: string[]) => {
  const result = await parseCommand(argv);
  return E.isLeft(result) ? result.left : null;
};

describe('rdl arguments', () => {
  it('defaults: restart on change, core retry and stall defaults, no checksum, not quiet, not JSON', async () => {
    expect(await parsed([url])).toEqual({
      url,
      headUrl: null,
      output: null,
      onChange: 'restart',
      retries: null,
      stallTimeoutMs: null,
      maxTimeMs: null,
      sha256: null,
      quiet: false,
      json: false,
      allowHttpsDowngrade: false,
      lowSpeedLimit: null,
      lowSpeedTimeMs: null,
      maxBytesPerSecond: null,
      cacert: null,
      connections: null,
      maxConnections: null,
      minSplitBytes: null,
      maxFileBytes: null,
      inputs: [{ url, out: null, line: null, outLine: null }],
      inputFile: null,
      list: false,
      dir: null,
      createDirs: false,
      jobs: null,
      client: {
        headers: {},
        noUserAgent: false,
        insecure: false,
        connectTimeoutMs: null,
        contentDisposition: false,
        remoteTime: false,
      },
      cookies: [],
      resolve: [],
      ipFamily: null,
      proxy: null,
      noProxy: null,
      refreshCommand: null,
    });
  });

  it('every option, in any order', async () => {
    const sha = 'AB'.repeat(32);
    expect(
      await parsed([
        '--json',
        '-o',
        'out.bin',
        url,
        '--head-url',
        'https://example.test/head',
        '--on-change',
        'fail',
        '--retries',
        '3',
        '--stall-timeout',
        '2.5',
        '--sha256',
        sha,
        '-q',
        '--allow-https-downgrade',
        '-Y',
        '1.5K',
        '--limit-rate',
        '4M',
        '--speed-time',
        '10',
        '-x',
        '8',
        '--max-connections',
        '32',
        '--min-split-size',
        '4M',
        '--max-filesize',
        '1G',
        '-m',
        '90',
        '-j',
        '8',
        '-d',
        '.',
        '-H',
        'X-A: 1',
        '-u',
        'al:pw',
        '-A',
        'ua',
        '-k',
        '--connect-timeout',
        '2.5',
        '-J',
        '-R',
        '--proxy',
        'http://u:p@proxy.test:3128',
        '--noproxy',
        '.internal,localhost',
        '--refresh-command',
        'aws s3 presign s3://b/k',
      ]),
    ).toEqual({
      url,
      headUrl: 'https://example.test/head',
      output: 'out.bin',
      onChange: 'fail',
      retries: 3,
      stallTimeoutMs: 2500,
      maxTimeMs: 90_000,
      sha256: sha.toLowerCase(),
      quiet: true,
      json: true,
      allowHttpsDowngrade: true,
      lowSpeedLimit: 1536,
      lowSpeedTimeMs: 10_000,
      maxBytesPerSecond: 4 * 1024 ** 2,
      cacert: null,
      connections: 8,
      maxConnections: 32,
      minSplitBytes: 4 * 1024 ** 2,
      maxFileBytes: 1024 ** 3,
      inputs: [{ url, out: null, line: null, outLine: null }],
      inputFile: null,
      list: false,
      dir: process.cwd(),
      createDirs: false,
      jobs: 8,
      client: {
        headers: { 'X-A': '1', 'user-agent': 'ua', authorization: `Basic ${btoa('al:pw')}` },
        noUserAgent: false,
        insecure: true,
        connectTimeoutMs: 2500,
        contentDisposition: true,
        remoteTime: true,
      },
      cookies: [],
      resolve: [],
      ipFamily: null,
      proxy: 'http://u:p@proxy.test:3128',
      noProxy: '.internal,localhost',
      refreshCommand: 'aws s3 presign s3://b/k',
    });
  });

  it("several URLs, or -i, make a list: every URL in order, the file's lines numbered", async () => {
    const other = 'https://example.test/other.bin';
    expect(await parsed([url, other])).toMatchObject({
      list: true,
      url,
      inputs: [
        { url, out: null, line: null, outLine: null },
        { url: other, out: null, line: null, outLine: null },
      ],
    });
  });

  it('--retries 0 is allowed: one attempt, no retry', async () => {
    expect((await parsed([url, '--retries', '0'])).retries).toBe(0);
  });

  it('R25: --help says --retries counts retries, n + 1 attempts, not attempts', () => {
    expect(usage).toMatch(/--retries <n> +retries in a row without a byte before giving up: n \+ 1 attempts/);
  });

  it('R30: every refusal is InvalidInput naming the field', async () => {
    expect(await refusal([url, '--retries', '-2'])).toMatchObject({
      _tag: 'InvalidInput',
      field: '--retries',
    });
    expect(await refusal([url, '--stall-timeout', '-0.5'])).toMatchObject({ field: '--stall-timeout' });
    expect(await refusal([url, '--stall-timeout', 'NaN'])).toMatchObject({ field: '--stall-timeout' });
    // R37: a refused proxy URL is named without its password.
    const proxy = await refusal([url, '--proxy', 'socks5://u:secret@proxy.test:1080']);
    expect(proxy).toMatchObject({ field: '--proxy' });
    expect(JSON.stringify(proxy)).not.toContain('secret');
    expect(await refusal([url, '--stall-timeout', 'Infinity'])).toMatchObject({ field: '--stall-timeout' });
    expect(await refusal([url, '--retries', '1e3'])).toMatchObject({ field: '--retries' });
    expect(await refusal(['mailto:someone@example.test'])).toMatchObject({ field: 'url' });
    expect(await refusal([url, '-o', ''])).toMatchObject({ field: '--output' });
    expect(await refusal([url, '-o'])).toMatchObject({ field: 'arguments' });
    expect(await refusal([url, '--speed-limit', '0.5'])).toMatchObject({ field: '--speed-limit' });
    expect(await refusal([url, '-Y', '10 MB'])).toMatchObject({ field: '--speed-limit' });
    expect(await refusal([url, '-y', '0'])).toMatchObject({ field: '--speed-time' });
  });

  it('R37: a URL whose password ends its authority early (an unencoded #, / or ?) does not parse, and is refused without it', async () => {
    for (const bad of ['http://bob:hun#ter2@h/a', 'http://bob:hun/ter2@[::1/a']) {
      const refused = await refusal([bad]);
      expect(refused).toMatchObject({
        field: 'url',
        message: expect.stringContaining('not a URL: "http://…@'),
      });
      expect(JSON.stringify(refused)).not.toContain('ter2');
    }
    expect(JSON.stringify(parseInputFile('http://bob:hun#ter2@h/a\n').problems)).not.toContain('ter2');
  });

  it('R30: an option that names one thing (-i, -o, --sha256, --head-url, -d) given twice is refused, never the first dropped unsaid', async () => {
    const hash = (c: string) => c.repeat(64);
    const twice: [string[], string][] = [
      [['-i', 'a.txt', '-i', 'b.txt'], '--input-file'],
      [['-ia.txt', '--input-file=b.txt'], '--input-file'],
      [[url, '-o', 'a.bin', '-o', 'b.bin'], '--output'],
      [[url, '--sha256', hash('0'), '--sha256', hash('a')], '--sha256'],
      [[url, '--head-url', url, '--head-url', url], '--head-url'],
      [[url, '-d', '.', '-d', '.'], '--dir'],
    ];
    for (const [argv, field] of twice)
      expect(await refusal(argv)).toMatchObject({
        field,
        message: expect.stringContaining('given more than once'),
      });
    // What curl lets repeat, the last winning, still does.
    expect((await parsed([url, '--retries', '2', '--retries', '3'])).retries).toBe(3);
  });

  it('R30: a time past what a timer holds (24 days) is refused, not a timer that fires at once; under 1 ms is 1 ms', async () => {
    for (const flag of ['-m', '--stall-timeout', '--speed-time', '--connect-timeout']) {
      expect(await refusal([url, flag, '2592000'])).toMatchObject({
        field: flag === '-m' ? '--max-time' : flag,
        message: expect.stringContaining('2592000 s is more than 2147483 s'),
      });
    }
    expect((await parsed([url, '-m', '2147483'])).maxTimeMs).toBe(2_147_483_000);
    expect((await parsed([url, '-m', '0.0001'])).maxTimeMs).toBe(1);
    expect((await parsed([url, '--stall-timeout', '0.0004'])).stallTimeoutMs).toBe(1);
  });

  it('R30, R43: connection counts are whole numbers from 1 to 64; the cap is not below a fixed count', async () => {
    expect((await parsed([url, '-x', '1'])).connections).toBe(1);
    expect((await parsed([url, '--connections=64'])).connections).toBe(64);
    expect((await parsed([url, '--max-connections', '4'])).maxConnections).toBe(4);
    for (const bad of ['0', '65', '2.5', '-1', 'four', '', '1e1']) {
      expect(await refusal([url, `--connections=${bad}`])).toMatchObject({
        _tag: 'InvalidInput',
        field: '--connections',
      });
      expect(await refusal([url, `--max-connections=${bad}`])).toMatchObject({ field: '--max-connections' });
    }
    expect(await refusal([url, '-x', '8', '--max-connections', '4'])).toMatchObject({
      field: '--max-connections',
    });
    expect(await refusal([url, '--min-split-size', '0'])).toMatchObject({ field: '--min-split-size' });
    expect(await refusal([url, '--min-split-size', '1 MB'])).toMatchObject({ field: '--min-split-size' });
    expect((await parsed([url, '--min-split-size', '512k'])).minSplitBytes).toBe(512 * 1024);
    expect((await parsed([url, '--max-filesize', '2M'])).maxFileBytes).toBe(2 * 1024 ** 2);
    for (const bad of ['0', '-1', 'big', '1 MB']) {
      expect(await refusal([url, '--max-filesize', bad])).toMatchObject({
        field: '--max-filesize',
        message: expect.stringContaining('expected a size of at least 1 byte'),
      });
    }
    expect((await parsed([url, '--proxy', ''])).proxy).toBe('');
    expect(await parseCommand([url, '--refresh-command', ' '])).toMatchObject({
      left: { _tag: 'InvalidInput', field: '--refresh-command', message: 'empty command' },
    });
  });

  it("R25: -y without -Y is curl's -Y 1 over that window, never dropped unsaid; with -Y, -Y's", async () => {
    expect(await parsed([url, '-y', '5'])).toMatchObject({ lowSpeedLimit: 1, lowSpeedTimeMs: 5000 });
    expect(await parsed([url, '--speed-time=2.5'])).toMatchObject({ lowSpeedLimit: 1, lowSpeedTimeMs: 2500 });
    expect(await parsed([url, '-y', '5', '-Y', '2k'])).toMatchObject({
      lowSpeedLimit: 2048,
      lowSpeedTimeMs: 5000,
    });
    expect(await parsed([url, '-Y', '2k'])).toMatchObject({ lowSpeedLimit: 2048, lowSpeedTimeMs: null });
    expect(await parsed([url])).toMatchObject({ lowSpeedLimit: null, lowSpeedTimeMs: null });
  });

  it('R30: a size too large to count (--max-filesize 99999999999999999999, 9000000G) is refused as too large, not as under 1 byte', async () => {
    for (const flag of ['--max-filesize', '--min-split-size'])
      for (const big of ['99999999999999999999', '9000000G', '9007199254740992'])
        expect(await refusal([url, flag, big])).toEqual({
          _tag: 'InvalidInput',
          field: flag,
          message: `"${big}" is more than 9007199254740991 bytes (8 PiB), the most rdl counts`,
        });
    expect((await parsed([url, '--max-filesize', '9007199254740991'])).maxFileBytes).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it('R30, R44: a rate too large to count (--limit-rate, -Y of 9007199254740992 or 99999999999999999999G) is refused as too large, as a size is, not as under some minimum', async () => {
    for (const [flag, field] of [
      ['--limit-rate', '--limit-rate'],
      ['-Y', '--speed-limit'],
    ] as const)
      for (const big of ['99999999999999999999G', '9000000G', '9007199254740992'])
        expect(await refusal([url, flag, big])).toEqual({
          _tag: 'InvalidInput',
          field,
          message: `"${big}" is more than 9007199254740991 bytes (8 PiB), the most rdl counts`,
        });
    expect((await parsed([url, '--limit-rate', '9007199254740991'])).maxBytesPerSecond).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it("--speed-limit takes curl's suffixes, 1024-based; 0 is none, even with -y, as curl's", async () => {
    expect((await parsed([url, '-Y', '0'])).lowSpeedLimit).toBeNull();
    expect((await parsed([url, '-Y', '0', '-y', '10'])).lowSpeedLimit).toBeNull();
    expect((await parsed([url, '-y', '10'])).lowSpeedLimit).toBe(1);
    expect((await parsed([url, '-Y', '100b'])).lowSpeedLimit).toBe(100);
    expect((await parsed([url, '-Y', '100'])).lowSpeedLimit).toBe(100);
    expect((await parsed([url, '-Y', '2k'])).lowSpeedLimit).toBe(2048);
    expect((await parsed([url, '-Y', '3M'])).lowSpeedLimit).toBe(3 * 1024 ** 2);
    expect((await parsed([url, '-Y', '1g'])).lowSpeedLimit).toBe(1024 ** 3);
  });

  it("R44, R30: --limit-rate takes curl's suffixes (B too) and 0 for none, as curl does; a bad size, or a rate under --speed-limit is refused", async () => {
    expect((await parsed([url, '--limit-rate', '10M'])).maxBytesPerSecond).toBe(10 * 1024 ** 2);
    expect((await parsed([url, '--limit-rate=512k'])).maxBytesPerSecond).toBe(512 * 1024);
    expect((await parsed([url, '--limit-rate', '10B'])).maxBytesPerSecond).toBe(10);
    expect((await parsed([url, '--limit-rate', '10b'])).maxBytesPerSecond).toBe(10);
    expect((await parsed([url])).maxBytesPerSecond).toBeNull();
    for (const none of ['0', '0k', ' 0 '])
      expect((await parsed([url, `--limit-rate=${none}`])).maxBytesPerSecond).toBeNull();
    for (const bad of ['-1', '10 MB', '10KB', 'fast', ''])
      expect(await refusal([url, `--limit-rate=${bad}`])).toMatchObject({
        _tag: 'InvalidInput',
        field: '--limit-rate',
      });
    expect(await refusal([url, '--limit-rate', '0.5'])).toMatchObject({
      field: '--limit-rate',
      message: 'expected at least 1 byte a second, or 0 for none (K, M, G suffixes), got "0.5"',
    });
    expect(await refusal([url, '--limit-rate', '1k', '-Y', '2k'])).toMatchObject({ field: '--limit-rate' });
    expect((await parsed([url, '--limit-rate', '2k', '-Y', '2k'])).maxBytesPerSecond).toBe(2048);
  });

  it('R30: any non-numeric or negative --retries is refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string().filter((s) => !/^\s*\d+\s*$/.test(s)),
        async (value) => (await refusal([url, `--retries=${value}`]))?._tag === 'InvalidInput',
      ),
    );
  });

  it("curl's -L, -O, -C -, -f, -S are taken as what rdl always does; -s is -q; grouped as curl users type them", async () => {
    expect(await parsed(['-L', '-O', '-C', '-', '-f', '-S', url])).toEqual(await parsed([url]));
    expect(
      await parsed(['--location', '--remote-name', '--continue-at', '-', '--fail', '--show-error', url]),
    ).toEqual(await parsed([url]));
    expect(await parsed(['-sSLfO', '-C', '-', url])).toEqual(await parsed([url, '-q']));
    expect(await parsed(['-LOC', '-', url])).toEqual(await parsed([url]));
    expect(await parsed(['--silent', url])).toEqual(await parsed([url, '-q']));
    expect((await parsed(['-LO', url, url.replace('data', 'more')])).list).toBe(true);
  });

  it('R30: headers over 32 KiB in all are refused before any request, with a list too', async () => {
    const big = `X-A: ${'a'.repeat(40_000)}`;
    for (const argv of [
      [url, '-H', big],
      [url, url.replace('data', 'more'), '-H', big],
    ])
      expect(await refusal(argv)).toMatchObject({
        field: '--header',
        message: expect.stringMatching(/^40003 characters of headers, more than the 32768/),
      });
    expect(await refusal([url, '-H', `X-A: ${'a'.repeat(30_000)}`])).toBeNull();
  });

  it('R30: -C with an offset, and -O with -o, are refused before any request, saying why', async () => {
    expect(await refusal(['-C', '1000', url])).toEqual({
      _tag: 'InvalidInput',
      field: '--continue-at',
      message: '"1000": rdl resumes from its own checkpoint, checked against the server; only - is taken',
    });
    expect(await refusal(['-O', '-o', 'x.bin', url])).toMatchObject({
      field: '--remote-name',
      message: 'and -o both name the file: give one',
    });
  });

  it('--help and --version win over everything else', async () => {
    expect(await parseCommand(['--help', 'not a url'])).toEqual(E.right({ _tag: 'Help' }));
    expect(await parseCommand(['-V'])).toEqual(E.right({ _tag: 'Version' }));
  });

  it("R29, R30: an unknown option is rdl's own one line, naming the option, and rdl's flag for a common curl or aria2 spelling", async () => {
    const said: ReadonlyArray<readonly [string[], string]> = [
      [['--fast'], 'unknown option --fast (see rdl --help)'],
      [['--retry', '3'], "unknown option --retry: rdl's is --retries (see rdl --help)"],
      [['--output-dir', 'x'], "unknown option --output-dir: rdl's is -d, --dir (see rdl --help)"],
      [
        ['-Z'],
        'unknown option -Z: a list runs in parallel already: -j, --jobs sets how many at once (see rdl --help)',
      ],
      [
        ['--parallel'],
        'unknown option --parallel: a list runs in parallel already: -j, --jobs sets how many at once (see rdl --help)',
      ],
      [['-s16'], "unknown option -1 in -s16: aria2's split is -x, --connections here (see rdl --help)"],
      [['--split=16'], "unknown option --split: aria2's split is -x, --connections here (see rdl --help)"],
      [
        ['-sSLZ'],
        'unknown option -Z in -sSLZ: a list runs in parallel already: -j, --jobs sets how many at once (see rdl --help)',
      ],
      [['--passwd=S3CRET1'], 'unknown option --passwd (see rdl --help)'],
    ];
    for (const [flags, message] of said)
      expect(await refusal([url, ...flags])).toEqual({ _tag: 'InvalidInput', field: 'arguments', message });
    // What parseArgs says of a known option given wrong is still said.
    expect(JSON.stringify(await refusal([url, '-o']))).toContain('argument missing');
  });

  it('-v is left free for a verbose mode (curl, wget): not the version', async () => {
    expect(await refusal([url, '-v'])).toMatchObject({ _tag: 'InvalidInput', field: 'arguments' });
  });
});

describe('the default file name', () => {
  const name = (path: string) => defaultFileName(new URL(`https://example.test${path}`));

  it('is the last path segment, percent-decoded, without query or fragment', () => {
    expect(name('/a/b/ubuntu-24.04.iso?X-Amz-Signature=abc#frag')).toBe('ubuntu-24.04.iso');
    expect(name('/a/my%20file.txt')).toBe('my file.txt');
    expect(name('/a/r%C3%A9sum%C3%A9.pdf')).toBe('résumé.pdf');
  });

  it('is never a path: encoded separators and traversal become plain characters', () => {
    expect(name('/a/..%2F..%2Fetc%2Fpasswd')).toBe('_.._etc_passwd');
    expect(name('/a/..%5C..%5Cwin.ini')).toBe('_.._win.ini');
    expect(name('/a/%2E%2E')).toBe(fallbackFileName);
    expect(name('/a/.')).toBe(fallbackFileName);
  });

  it('is never hidden, never empty, has no control characters', () => {
    expect(name('/.bashrc')).toBe('bashrc');
    expect(name('/')).toBe(fallbackFileName);
    expect(name('/dir/')).toBe(fallbackFileName);
    expect(name('/a%00b%0Ac')).toBe('a_b_c');
    expect(name('/a:b*c?.bin')).toBe('a_b_c');
  });

  it('fits in 255 UTF-8 bytes', () => {
    const long = name(`/${'é'.repeat(300)}.bin`);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(255);
    expect(long.length).toBeGreaterThan(100);
  });

  it('whatever the URL, resolves to a file directly in the current folder', () => {
    const cwd = resolve('/some/where');
    fc.assert(
      fc.property(
        fc.webUrl({ withQueryParameters: true }),
        fc.string(),
        fc.boolean(),
        (base, tail, encode) => {
          const n = defaultFileName(new URL(`/p/${encode ? encodeURIComponent(tail) : tail}`, base));
          const path = resolve(cwd, n);
          return (
            dirname(path) === cwd &&
            n !== '' &&
            !n.startsWith('.') &&
            !/[/\\]/.test(n) &&
            !n.includes(String.fromCharCode(0)) &&
            Buffer.byteLength(n) <= 255
          );
        },
      ),
    );
  });
});

describe('the output path', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rdl-output-'));
    await mkdir(join(dir, 'folder'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('is -o relative to the current folder, or the default name in it', () => {
    expect(resolveOutputPath('x/../out.bin', url, dir)).toEqual(E.right(join(dir, 'out.bin')));
    expect(resolveOutputPath(null, url, dir)).toEqual(E.right(join(dir, 'data.bin')));
  });

  it('R30: a missing folder, a folder, a trailing separator are refused', () => {
    for (const output of ['missing/out.bin', 'folder', 'folder/', 'new/']) {
      expect(resolveOutputPath(output, url, dir)).toMatchObject(
        E.left({ _tag: 'InvalidInput', field: '--output' }),
      );
    }
  });

  it('R30: a default name that is an existing folder is refused too', () => {
    expect(resolveOutputPath(null, 'https://example.test/folder', dir)).toMatchObject(
      E.left({ _tag: 'InvalidInput', field: 'output' }),
    );
  });
});

describe('the resume hint', () => {
  it('quotes what a POSIX shell would split or expand', () => {
    expect(shellWord('https://h/a.bin')).toBe('https://h/a.bin');
    expect(shellWord('https://h/a.bin?x=1&y=2')).toBe("'https://h/a.bin?x=1&y=2'");
    expect(shellWord("it's")).toBe(`'it'\\''s'`);
    expect(resumeCommand(['https://h/a b', '-o', 'out'])).toBe("rdl 'https://h/a b' -o out");
  });

  it('R38: a word with a control or bidi character is ANSI-C quoted in ASCII, and the printed hint gives the shell that word back', () => {
    expect(shellWord('we\u001bird\u202e.bin')).toBe("$'we\\033ird\\342\\200\\256.bin'");
    expect(shellWord("a'b\\\u009b")).toBe("$'a\\'b\\\\\\302\\233'");
    // What a user pastes is the line as printed (escaped, R38); bash reads each word back to the bytes of argv.
    const word = fc.string({
      unit: fc.oneof(
        fc.constantFrom('\u001b', '\u0007', '\n', '\u007f', '\u009b', '\u202e', '\u2066', '\u061c'),
        fc.constantFrom('a', ' ', "'", '"', '\\', '$', '`', '0', '7', 'é', '漢', '?', ';'),
      ),
      minLength: 1,
      maxLength: 12,
    });
    fc.assert(
      fc.property(word, (arg) => {
        const shown = printable(shellWord(arg));
        expect(shown).toBe(shellWord(arg));
        const read = execFileSync('bash', ['-c', `printf %s ${shown}`]);
        expect(read.equals(Buffer.from(arg, 'utf8'))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('R37: leaves a password in a URL out, and says so in a shell comment', () => {
    expect(resumeCommand(['https://al:s3cret@h/a.bin', '-o', 'out'])).toBe(
      'rdl https://h/a.bin -o out  # the user and password were left out of the URL: put them back',
    );
  });

  it('R37: leaves a password out of a URL joined to its option by = (--proxy=, --head-url=) as out of one after it', () => {
    const hint = '  # the user and password were left out of the URL: put them back';
    expect(resumeCommand(['https://h/a', '--proxy=http://bob:hunter2@proxy:3128'])).toBe(
      `rdl https://h/a --proxy=http://proxy:3128${hint}`,
    );
    expect(resumeCommand(['https://h/a', '--head-url=https://bob:hunter2@h/a'])).toBe(
      `rdl https://h/a --head-url=https://h/a${hint}`,
    );
    expect(resumeCommand(['https://h/a', '--proxy', 'http://bob:hunter2@proxy:3128'])).toBe(
      `rdl https://h/a --proxy http://proxy:3128${hint}`,
    );
  });

  it('R37: leaves the user and password out of a --proxy without a scheme (http://), shown as typed', () => {
    const hint = '  # the user and password were left out of the URL: put them back';
    expect(resumeCommand(['https://h/a', '--proxy', 'my_user:S3CRET@127.0.0.1:13003'])).toBe(
      `rdl https://h/a --proxy 127.0.0.1:13003${hint}`,
    );
    expect(resumeCommand(['https://h/a', '--proxy=alice:S3CRET@127.0.0.1:13003'])).toBe(
      `rdl https://h/a --proxy=127.0.0.1:13003${hint}`,
    );
    expect(resumeCommand(['https://h/a', '--proxy', '127.0.0.1:13003'])).toBe(
      'rdl https://h/a --proxy 127.0.0.1:13003',
    );
    expect(resumeCommand(['https://h/a', '--proxy', ''])).toBe("rdl https://h/a --proxy ''");
  });

  it('R37: leaves the signature and credential of a presigned URL out, and says to put them back or sign again', () => {
    expect(
      resumeCommand(['https://b.s3.example/k?X-Amz-Credential=AKIA%2Fx&X-Amz-Signature=abc', '-o', 'out']),
    ).toBe(
      "rdl 'https://b.s3.example/k?X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED' -o out  # the signature was left out of the URL: put them back, or give the URL signed again",
    );
    expect(resumeCommand(['https://u:p@h/k?sig=abc'])).toBe(
      "rdl 'https://h/k?sig=REDACTED'  # the user and password and the signature were left out of the URL: put them back, or give the URL signed again",
    );
    // -H's secret and a signature: both left out, and the line says so once.
    expect(resumeCommand(['https://h/k?sig=abc', '-H', 'X-Key: k3y'])).toBe(
      "rdl 'https://h/k?sig=REDACTED' -H 'X-Key: …'  # the secrets were left out (…), and the signature of the URL: put them back, or give the URL signed again",
    );
  });

  it('R37: only URL words are redacted: a file or folder whose name holds ;sig= or ?sig= is named as it is', () => {
    expect(resumeCommand(['-m', '1', '-o', 'clip;sig=1.mp4', 'https://h/f'])).toBe(
      "rdl -m 1 -o 'clip;sig=1.mp4' https://h/f",
    );
    expect(resumeCommand(['-d', 'x?Signature=2', '--output=a;sig=3', 'https://h/f?sig=s'])).toBe(
      "rdl -d 'x?Signature=2' '--output=a;sig=3' 'https://h/f?sig=REDACTED'  # the signature was left out of the URL: put them back, or give the URL signed again",
    );
    expect(
      resumeCommand(['-qo', 'b;sig=4', '--head-url', 'https://h/f?sig=s', '--', 'https://h/g?sig=t']),
    ).toBe(
      "rdl -qo 'b;sig=4' --head-url 'https://h/f?sig=REDACTED' -- 'https://h/g?sig=REDACTED'  # the signature was left out of the URL: put them back, or give the URL signed again",
    );
  });

  it('a list read from stdin (-i -, -i-, -qi -, --input-file=-) is to be given again on stdin; a file named - is not', () => {
    const again = '  # with the same list on its standard input';
    for (const argv of [['-i', '-'], ['-i-'], ['-qi', '-'], ['--input-file=-'], ['--input-file', '-']])
      expect(resumeCommand([...argv, '-d', 'out'])).toBe(`rdl ${argv.join(' ')} -d out${again}`);
    expect(resumeCommand(['-i', 'list.txt', '-d', 'out'])).toBe('rdl -i list.txt -d out');
    expect(resumeCommand(['-d', '-', 'https://h/a'])).toBe('rdl -d - https://h/a');
    expect(resumeCommand(['--', '-i', '-'])).toBe('rdl -- -i -');
    expect(resumeCommand(['-i', '-', '-H', 'X-Key: k3y'])).toBe(
      "rdl -i - -H 'X-Key: …'  # the secrets were left out (…): put them back; and with the same list on its standard input",
    );
  });

  it('R37: the hint shows a --refresh-command as …, whole, and says to put it back: it may hold a password or a signature', () => {
    const command = "curl -s 'https://bob:hunter2@signer.example/sign?X-Amz-Signature=abc'";
    const hint = '  # the secrets were left out (…): put them back';
    expect(resumeCommand(['https://h/a', '--refresh-command', command])).toBe(
      `rdl https://h/a --refresh-command '…'${hint}`,
    );
    expect(resumeCommand(['https://h/a', `--refresh-command=${command}`])).toBe(
      `rdl https://h/a '--refresh-command=…'${hint}`,
    );
    expect(resumeCommand(['https://h/a?sig=s', '--refresh-command', 'sign-again'])).toBe(
      "rdl 'https://h/a?sig=REDACTED' --refresh-command '…'  # the secrets were left out (…), and the signature of the URL: put them back, or give the URL signed again",
    );
  });

  it("R37: a password after curl's grouped booleans (-sSLu) is left out of the hint too", () => {
    expect(resumeCommand(['-sSLu', 'al:s3cret', 'https://h/a'])).toBe(
      "rdl -sSLu 'al:…' https://h/a  # the secrets were left out (…): put them back",
    );
    expect(resumeCommand(['-sSLual:s3cret', 'https://h/a'])).not.toContain('s3cret');
  });

  it('R37: a URL that does not parse is refused without quoting its password', async () => {
    expect(JSON.stringify(await refusal(['https://al:s3cret@[::1/a']))).not.toContain('s3cret');
  });
});

describe('a refused value is quoted without its secrets (R37)', () => {
  const proxy = 'http://alice:S3CRET1@127.0.0.1:3128';
  const values = [
    proxy,
    'alice:S3CRET1@127.0.0.1:3128',
    'http://alice:S3#CRET1@127.0.0.1:3128',
    'https://127.0.0.1/f?X-Amz-Signature=S3CRET1',
  ];
  const flags = [
    '-x',
    '--max-connections',
    '-j',
    '-C',
    '--retries',
    '-Y',
    '--limit-rate',
    '--max-filesize',
    '--min-split-size',
    '--on-change',
    '-m',
    '-y',
    '--stall-timeout',
    '--connect-timeout',
  ];

  it('R37: every value check quotes a URL-like value without its user and password, its signature redacted', async () => {
    for (const flag of flags)
      for (const value of values) {
        const refused = await refusal([url, flag, value]);
        expect(refused).toMatchObject({
          _tag: 'InvalidInput',
          message: expect.stringContaining('127.0.0.1'),
        });
        expect(JSON.stringify(refused)).not.toContain('S3');
      }
  });

  it('R37: rdl -x http://alice:pw@proxy URL: neither stderr nor the --json error event holds the password', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'rdl-args-'));
    try {
      for (const argv of [
        ['-x', proxy, url],
        ['--json', '-x', proxy, url],
        ['-C', 'http://a:S3CRET1@h.test/', url],
      ]) {
        const run = await runCliInProcess(argv, cwd);
        expect(run.code).toBe(2);
        expect(`${run.stdout}${run.stderr}`).toMatch(/invalid --(connections|continue-at)/);
        expect(`${run.stdout}${run.stderr}`).not.toContain('S3CRET1');
      }
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it("R37: a proxy given to -x (curl's) is told that -x is --connections, and a proxy --proxy", async () => {
    for (const value of [proxy, '127.0.0.1:3128', 'proxy.test:8080', 'alice:pw@proxy.test'])
      expect(await refusal([url, '-x', value])).toMatchObject({
        field: '--connections',
        message: expect.stringContaining("in rdl -x is --connections, as aria2's; a proxy is --proxy"),
      });
    expect(JSON.stringify(await refusal([url, '-x', 'four']))).not.toContain('--proxy');
    expect(JSON.stringify(await refusal([url, '--max-connections', proxy]))).not.toContain('--proxy');
  });
});
