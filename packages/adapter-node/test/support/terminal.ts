import { spawn } from 'node:child_process';
import { assertBuilt, rdlBin } from './cliProcess.js';

// The command draws its bars only on a terminal (R28): these helpers run the built `rdl` under a pseudo-terminal
// (util-linux's `script`) and replay what a terminal of that width shows, not the bytes it was sent.

/** What a terminal acts on: C0, DEL, C1 and the bidi controls (R38). */
const CONTROL = '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
/** A CSI sequence, a lone ESC and what follows it, one control character, or a run of text. */
const TOKEN = new RegExp(`\\x1b\\[[0-9;?]*[ -/]*[@-~]|\\x1b[\\s\\S]?|[${CONTROL}]|[^${CONTROL}]+`, 'gu');
const ONE_CONTROL = new RegExp(`^[${CONTROL}]$`, 'u');

/**
 * A terminal `width` columns wide, as far as readline and cli-progress drive one: text, `\r`, `\n`, the cursor moved
 * (up, down, sideways, to a column), saved and restored, a line or the screen below erased, the cursor and wrapping
 * modes (wrapping off: a long line's end stays on the last column). Anything else written is a stray: a command that
 * escapes what it prints sends none.
 */
export class TerminalScreen {
  readonly #rows: string[][] = [[]];
  #row = 0;
  #col = 0;
  #saved = { row: 0, col: 0 };
  #wrap = true;
  readonly strays: string[] = [];
  /** The screen just before each redraw began, in order: every state a user saw between two draws. */
  readonly frames: string[][] = [];

  constructor(readonly width: number) {}

  /** The rows shown now, their trailing blanks and the empty rows below left out. */
  lines(): string[] {
    const lines = this.#rows.map((row) => row.join('').trimEnd());
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    return lines;
  }

  /** Every line some frame, or the end, showed, in the order first shown. */
  seen(): string[] {
    return [...new Set([...this.frames, this.lines()].flat())];
  }

  write(text: string): void {
    for (const [token] of text.matchAll(TOKEN)) {
      if (token === '\r') this.#col = 0;
      else if (token === '\n') this.#moveTo(this.#row + 1);
      else if (token === '\x1b7') this.#saved = { row: this.#row, col: this.#col };
      else if (token === '\x1b8') this.#moveTo(this.#saved.row, this.#saved.col);
      else if (token === '\x1b[?7l' || token === '\x1b[?7h') this.#wrap = token.endsWith('h');
      else if (token === '\x1b[?25l' || token === '\x1b[?25h') continue;
      else if (token.startsWith('\x1b') || ONE_CONTROL.test(token)) this.#csi(token);
      else for (const char of token) this.#put(char);
    }
  }

  #csi(token: string): void {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: an escape sequence begins with ESC
    const match = /^\x1b\[(\d*)([ABCDGKJ])$/.exec(token);
    if (match === null) {
      this.strays.push(token);
      return;
    }
    const n = match[1] === '' ? null : Number(match[1]);
    const op = match[2];
    // Erasing the rest of a line ends the draw of it; every other move or erase begins one.
    if (!(op === 'K' && (n ?? 0) === 0)) this.frames.push(this.lines());
    const row = this.#rows[this.#row]!;
    if (op === 'A') this.#moveTo(this.#row - (n ?? 1));
    else if (op === 'B') this.#moveTo(this.#row + (n ?? 1));
    else if (op === 'C') this.#col = Math.min(this.width - 1, this.#col + (n ?? 1));
    else if (op === 'D') this.#col = Math.max(0, this.#col - (n ?? 1));
    else if (op === 'G') this.#col = Math.min(this.width - 1, (n ?? 1) - 1);
    else if (op === 'K' && (n ?? 0) === 0) row.length = Math.min(row.length, this.#col);
    else if (op === 'K' && n === 1) row.fill(' ', 0, Math.min(row.length, this.#col + 1));
    else if (op === 'K') row.length = 0;
    else {
      row.length = Math.min(row.length, this.#col);
      this.#rows.length = this.#row + 1;
    }
  }

  #moveTo(row: number, col = this.#col): void {
    this.#row = Math.max(0, row);
    this.#col = col;
    while (this.#rows.length <= this.#row) this.#rows.push([]);
  }

  #put(char: string): void {
    if (this.#col >= this.width) {
      if (this.#wrap) this.#moveTo(this.#row + 1, 0);
      else this.#col = this.width - 1;
    }
    const row = this.#rows[this.#row]!;
    while (row.length < this.#col) row.push(' ');
    row[this.#col] = char;
    this.#col += 1;
  }
}

const shellWord = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

/**
 * Runs `rdl args…` in `cwd` with its stdin, stdout and stderr on a pseudo-terminal of `columns` × 40, and resolves
 * with its exit code and what the terminal shows. A run past `limitMs` is ended (SIGTERM to `script`, which passes it
 * on) and fails the test with what it had drawn.
 */
export const runInTerminal = async (
  args: readonly string[],
  cwd: string,
  columns = 100,
  limitMs = 20_000,
): Promise<{ code: number | null; output: string; screen: TerminalScreen }> => {
  assertBuilt();
  const command = [process.execPath, rdlBin, ...args].map(shellWord).join(' ');
  // The terminal `script` opens has no size of its own when the tests run without one.
  const child = spawn('script', ['-qfec', `stty cols ${columns} rows 40 && exec ${command}`, '/dev/null'], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TERM: 'xterm' },
  });
  const chunks: Buffer[] = [];
  let errors = '';
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  let late = false;
  const limit = setTimeout(() => {
    late = true;
    child.kill('SIGTERM');
  }, limitMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).finally(() => clearTimeout(limit));
  const output = Buffer.concat(chunks).toString('utf8');
  const screen = new TerminalScreen(columns);
  screen.write(output);
  if (late || errors !== '')
    throw new Error(
      `rdl ${args.join(' ')}: ${late ? 'still running' : errors}\n${screen.lines().join('\n')}`,
    );
  return { code, output, screen };
};
