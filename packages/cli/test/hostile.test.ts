// A hostile provider and a careless operator (issue 17): escape sequences, formula cells, deep
// bodies, echoed keys and bad configuration must end in safe output or a clear exit 2.
import { afterEach, describe, expect, it } from 'vitest';
import { cli, type Reply, runflowBatchBody, startHostileServer } from './helpers.js';

const ID = '3c90c3cc-0d44-4b50-8888-8dd25736052a';
const ID2 = '0190f2a4-5b6c-7d8e-9f01-23456789abcd';
const TOKEN = 'rf_hostile_SECRET_token';
const fast = ['--min-interval', '20ms', '--max-interval', '100ms'];

// OSC 52 writes the clipboard, OSC 0 retitles the window, CSI 2J clears the screen, BEL rings, and
// U+009B is the one-byte CSI some terminals still honour.
const EVIL = '\u001b]52;c;cm0gLXJmIH4=\u0007\u001b]0;pwned\u0007\u001b[2J\u009b31mred\u0007';
/** Any byte a provider string could use to drive the terminal. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function hostile(route: (method: string, path: string, auth: string) => Reply) {
  const server = await startHostileServer((method, path, headers) =>
    route(method, path, String(headers.authorization ?? '')),
  );
  close = server.close;
  return { ...server, flags: ['--base-url', `runflow=${server.url}`] };
}

describe('provider strings reach the terminal inert (issue 17, defect 4)', () => {
  it('should escape control characters in status codes and failure messages of line output and the summary', async () => {
    const server = await hostile(() => ({
      body: runflowBatchBody(ID, {
        status_code: 'failed',
        items_failed: 10,
        items_succeeded: 0,
        failure_message: `boom ${EVIL}`,
      }),
    }));
    const run = await cli(['watch', `runflow:batch:${ID}`, ...server.flags, ...fast], { RUNFLOW_API_TOKEN: TOKEN });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('boom');
    expect(run.stdout).not.toMatch(CONTROL);
    expect(run.stderr).not.toMatch(CONTROL);
    // Escaped, not silently dropped: the operator can see something odd was sent.
    expect(run.stdout).toContain('\\x1b]52;c;');
  });

  it('should escape control characters in an unknown raw status', async () => {
    let polls = 0;
    const server = await hostile(() => ({
      body: runflowBatchBody(ID, { status_code: polls++ < 1 ? `PAUSED${EVIL}` : 'succeeded', items_succeeded: 10 }),
    }));
    const run = await cli(['watch', `runflow:batch:${ID}`, ...server.flags, ...fast], { RUNFLOW_API_TOKEN: TOKEN });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('unknown [PAUSED\\x1b]52');
    expect(run.stdout).not.toMatch(CONTROL);
  });

  it('should escape control characters in error messages (watch and results)', async () => {
    const server = await hostile(() => ({ status: 404, body: { code: 'NOT_FOUND', message: `gone ${EVIL}` } }));
    const watch = await cli(['watch', `runflow:batch:${ID}`, ...server.flags, ...fast], { RUNFLOW_API_TOKEN: TOKEN });
    expect(watch.code).toBe(1);
    expect(watch.stdout).toContain('gone');
    expect(`${watch.stdout}${watch.stderr}`).not.toMatch(CONTROL);
    const results = await cli(['results', `runflow:batch:${ID}`, ...server.flags, ...fast], {
      RUNFLOW_API_TOKEN: TOKEN,
    });
    expect(results.code).toBe(1);
    expect(results.stderr).toContain('gone');
    expect(`${results.stdout}${results.stderr}`).not.toMatch(CONTROL);
  });

  it('should write NDJSON whose strings cannot drive a terminal, and that parses back to the same text', async () => {
    const server = await hostile(() => ({
      body: runflowBatchBody(ID, { status_code: 'succeeded', items_succeeded: 10, metadata: { note: EVIL } }),
    }));
    const run = await cli(['watch', `runflow:batch:${ID}`, '--json', ...server.flags, ...fast], {
      RUNFLOW_API_TOKEN: TOKEN,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(CONTROL);
    expect(run.stdout).not.toMatch(/[\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    expect(JSON.parse(run.stdout.trim().split('\n')[0] as string).raw.metadata.note).toBe(EVIL);
  });
});

describe('CSV cells cannot become formulas (issue 17, defect 5)', () => {
  const cells = ['=HYPERLINK("http://127.0.0.1/x","click")', '+1+1', '-2+3', '@SUM(1)', '\tTAB', '\rCR'];
  const itemsRoute = (_method: string, path: string): Reply =>
    path.includes('/items')
      ? {
          body: {
            items: cells.map((message, i) => ({
              id: `${ID.slice(0, 30)}00000${i}`,
              sequence_index: i,
              status_code: 'failed',
              error: { code: i === 0 ? '=1+2' : 'E', message },
            })),
            next_pq: null,
          },
        }
      : { body: runflowBatchBody(ID, { status_code: 'failed', items_failed: 6, items_total: 6 }) };

  it('should prefix a quote to every cell that starts with = + - @ TAB or CR', async () => {
    const server = await hostile(itemsRoute);
    const run = await cli(['results', `runflow:batch:${ID}`, '--format', 'csv', ...server.flags], {
      RUNFLOW_API_TOKEN: TOKEN,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const rows = run.stdout.split('\r\n');
    expect(rows[1]).toBe(`${ID.slice(0, 30)}000000,0,failed,'=1+2,"'=HYPERLINK(""http://127.0.0.1/x"",""click"")"`);
    expect(rows.slice(2, 5).map((r) => r.split(',').at(-1))).toEqual(["'+1+1", "'-2+3", "'@SUM(1)"]);
    expect(rows[5]?.endsWith(",'\tTAB")).toBe(true);
    expect(run.stdout).toContain(`,"'\rCR"`);
  });

  it('should write cells untouched with --csv-raw', async () => {
    const server = await hostile(itemsRoute);
    const run = await cli(['results', `runflow:batch:${ID}`, '--format', 'csv', '--csv-raw', ...server.flags], {
      RUNFLOW_API_TOKEN: TOKEN,
    });
    expect(run.code).toBe(0);
    expect(run.stdout.split('\r\n')[3]?.split(',').at(-1)).toBe('-2+3');
    expect(run.stdout).not.toContain("'");
  });

  it('should refuse --csv-raw without --format csv', async () => {
    const run = await cli(['results', `runflow:batch:${ID}`, '--csv-raw'], { RUNFLOW_API_TOKEN: TOKEN });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--csv-raw only applies with --format csv');
  });
});

describe('watch --json with a body nested 6,000 levels deep (issue 17, defect 3)', () => {
  it('should report every job, with raw omitted and a note, and never crash', async () => {
    const deepBody = JSON.stringify(runflowBatchBody(ID, { status_code: 'succeeded', items_succeeded: 10 })).replace(
      /}$/,
      `,"metadata":${JSON.stringify({ deep: 'x' }).replace('"x"', nestedText(6_000))}}`,
    );
    const server = await hostile((_m, path) =>
      path.includes(ID)
        ? { body: deepBody }
        : { body: runflowBatchBody(ID2, { status_code: 'succeeded', items_succeeded: 10 }) },
    );
    const run = await cli(
      ['watch', `runflow:batch:${ID}`, `runflow:batch:${ID2}`, '--json', ...server.flags, ...fast],
      {
        RUNFLOW_API_TOKEN: TOKEN,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const first = lines.find((l) => l.id === ID);
    expect(first).toMatchObject({ status: 'succeeded', raw: null, rawOmitted: expect.stringContaining('deeper than') });
    expect(lines.find((l) => l.id === ID2)).toMatchObject({ status: 'succeeded', raw: { id: ID2 } });
  });
});

/** `{"a":{"a":...}}` nested `depth` levels, as text (building it as an object would overflow JSON.stringify). */
function nestedText(depth: number): string {
  return `${'{"a":'.repeat(depth)}"bottom"${'}'.repeat(depth)}`;
}

describe('keys a provider echoes are never printed (issue 17, hardening)', () => {
  it('should redact the configured key from the 401 message in lines, JSON and results', async () => {
    const server = await hostile((_m, _p, auth) => ({
      status: 401,
      body: { code: 'UNAUTHORIZED', message: `Invalid API key: ${auth.replace(/^Bearer /, '')}` },
    }));
    for (const args of [
      ['watch', `runflow:batch:${ID}`],
      ['watch', `runflow:batch:${ID}`, '--json'],
      ['results', `runflow:batch:${ID}`],
    ]) {
      const run = await cli([...args, ...server.flags, ...fast], { RUNFLOW_API_TOKEN: TOKEN });
      expect(run.code).toBe(1);
      const all = `${run.stdout}${run.stderr}`;
      expect(all).toContain('Invalid API key');
      expect(all).not.toContain(TOKEN);
      expect(all).not.toContain('SECRET');
      expect(all).toContain('[redacted]');
    }
  });

  it('should redact a key passed with --runflow-key', async () => {
    const server = await hostile((_m, _p, auth) => ({
      status: 401,
      body: { code: 'UNAUTHORIZED', message: `Invalid API key: ${auth.replace(/^Bearer /, '')}` },
    }));
    const run = await cli(['watch', `runflow:batch:${ID}`, '--runflow-key', TOKEN, ...server.flags, ...fast]);
    expect(run.code).toBe(1);
    expect(`${run.stdout}${run.stderr}`).not.toContain(TOKEN);
  });
});

describe('configuration errors exit 2 and name what to fix (issue 17, defect 7)', () => {
  const ref = `runflow:batch:${ID}`;
  it.each([
    [
      ['--base-url', 'runflow=ftp://127.0.0.1/x'],
      'invalid --base-url "runflow=ftp://127.0.0.1/x": expected an http(s) URL',
    ],
    [['--base-url', 'runflow=not a url'], 'invalid --base-url "runflow=not a url": expected an http(s) URL'],
    [['--base-url', 'runflow=127.0.0.1:4010'], 'expected an http(s) URL'],
    [['--base-url', 'runflow=http://user:pw@127.0.0.1:9'], '--base-url for runflow must not contain credentials'],
    [
      ['--base-url', 'http://user:pw@127.0.0.1:9'],
      'invalid --base-url "http://***@127.0.0.1:9": expected <provider>=<url>',
    ],
    [['--base-url', 'runflow=ftp://user:pw@127.0.0.1:9'], 'invalid --base-url "runflow=ftp://***@127.0.0.1:9"'],
    [['--min-interval', '10s', '--max-interval', '1s'], '--min-interval (10s) is above --max-interval (1s)'],
    [['--min-interval', '1m'], '--min-interval (1m) is above --max-interval (30s, the default)'],
  ])('should reject %j', async (flags, message) => {
    const run = await cli(['watch', ref, ...flags], { RUNFLOW_API_TOKEN: TOKEN });
    expect(run.stderr).toContain(message);
    expect(run.code).toBe(2);
    expect(`${run.stdout}${run.stderr}`).not.toContain('pw@');
    expect(run.stdout).toBe('');
  });

  it.each([
    ['   ', 'RUNFLOW_API_TOKEN is blank'],
    [`${TOKEN}\n`, 'RUNFLOW_API_TOKEN contains whitespace or a control character'],
    [`rf 123`, 'RUNFLOW_API_TOKEN contains whitespace or a control character'],
  ])('should name the variable when the key is %j', async (key, message) => {
    const run = await cli(['watch', ref, '--base-url', 'runflow=http://127.0.0.1:9'], { RUNFLOW_API_TOKEN: key });
    expect(run.stderr).toContain(message);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain(TOKEN);
  });

  it('should name the flag when --runflow-key is bad', async () => {
    const run = await cli(['results', ref, '--runflow-key', 'a\tb']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--runflow-key contains whitespace or a control character');
  });
});
