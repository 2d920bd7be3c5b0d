/**
 * The live status page in a real browser: Debian's chromium, headless, driven through
 * playwright-core, loads `/` from the metrics listener, shows every destination, and
 * turns one red after `dsctl dispatcher.set_state ip` with the first or second update the
 * daemon pushes after it (pushes come every second, so within two seconds; counted in
 * pushes, not in the test's clock, and waited for with a generous deadline). Every request the page
 * makes stays on the listener (no CDN), /status.json carries the same data, and the page
 * is read-only. A screenshot is kept in test-artifacts/ (gitignored).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startDsd, basicCfg, tmpDir, Dsd, REPO } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { Backends, dsctlOk, until } from '../helpers/backends';
import { SAMPLE_MS } from '../../src/metrics/status-page';
import { at } from '../helpers/at';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO, 'test-artifacts');

function get(port: number, p: string, method = 'GET'): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type'] ?? '') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('status page', { skip: !fs.existsSync(CHROMIUM) && 'chromium not installed' }, () => {
  let dsd: Dsd;
  let bk: Backends;
  let mport: number;
  let profile: string;

  before(async () => {
    const ports = await freePorts(5);
    mport = ports[4];
    bk = await Backends.open([at(ports, 1), at(ports, 2), at(ports, 3)]);
    profile = tmpDir('dsd-chromium-');
    dsd = await startDsd({
      cfg: basicCfg({
        listen: [`udp:127.0.0.1:${ports[0]}`],
        params: [
          `modparam("dispatcher", "ds_metrics_listen", "127.0.0.1:${mport}")`,
          'modparam("dispatcher", "ds_ping_interval", 1)',
          'modparam("dispatcher", "ds_ping_latency_stats", 1)',
          // probes answered 200 would bring an `ip` destination straight back; keep the admin's word for the test
          'modparam("dispatcher", "ds_inactive_threshold", 1000)',
        ],
      }),
      list: `1 ${bk.uri(0)}\n1 ${bk.uri(1)}\n2 ${bk.uri(2)} 0 0 duid=gw3;weight=10\n`,
    });
  });

  after(async () => {
    await dsd?.stop();
    await bk?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  it('/status.json and the read-only rules', async () => {
    const j = await get(mport, '/status.json');
    assert.equal(j.status, 200);
    assert.match(j.type, /application\/json/);
    const doc = JSON.parse(j.body) as {
      sets: Array<{ id: number; destinations: Array<{ uri: string; state: string }> }>;
    };
    assert.deepEqual(doc.sets.map((s) => s.id).sort(), [1, 2]);
    assert.deepEqual(
      doc.sets.flatMap((s) => s.destinations.map((d) => d.uri)).sort(),
      [bk.uri(0), bk.uri(1), bk.uri(2)].sort(),
    );
    assert.equal((await get(mport, '/', 'POST')).status, 405);
    assert.equal((await get(mport, '/status.json', 'DELETE')).status, 405);
    const page = await get(mport, '/');
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.body, /(src|href)="https?:/, 'nothing loads from elsewhere');
    assert.equal((await get(mport, '/metrics')).status, 200, 'the Prometheus endpoint is still there');
  });

  it('shows every destination and turns one red after set_state ip', async () => {
    const { chromium } = await import('playwright-core');
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      const foreign: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(`http://127.0.0.1:${mport}/`)) foreign.push(r.url());
      });
      await page.goto(`http://127.0.0.1:${mport}/`);
      for (let b = 0; b < 3; b++) {
        await page.locator(`tr.dest[data-uri="${bk.uri(b)}"]`).waitFor({ timeout: 30_000 });
      }
      assert.equal(await page.locator('tr.dest').count(), 3);
      assert.equal(await page.locator('tr.dest.down').count(), 0, 'nothing red while all are up');
      await page.locator('#conn.live').waitFor({ timeout: 30_000 });

      // "within two seconds", counted in the daemon's pushes (one a second) rather than in the
      // test's wall clock: a second stream counts them, and the page notes the count at the
      // moment the row turns red
      const target = bk.uri(1);
      await page.evaluate((uri) => {
        const w = globalThis as unknown as Record<string, unknown> & {
          EventSource: new (u: string) => { onmessage: (() => void) | null };
          MutationObserver: new (f: () => void) => { observe(n: unknown, o: object): void };
          document: { body: unknown; querySelector(s: string): unknown };
        };
        w.__pushes = 0;
        w.__redAt = -1;
        const es = new w.EventSource('events');
        es.onmessage = () => {
          (w.__pushes as number)++;
        };
        new w.MutationObserver(() => {
          if (w.__redAt === -1 && w.document.querySelector(`tr.dest.down[data-uri="${uri}"]`) !== null)
            w.__redAt = w.__pushes;
        }).observe(w.document.body, { subtree: true, childList: true, attributes: true });
      }, target);
      const pushes = (): Promise<number> =>
        page.evaluate(() => (globalThis as unknown as { __pushes: number }).__pushes);
      await until('the counting stream gets pushes', async () => (await pushes()) >= 1, 30_000, 100);
      const n0 = await pushes();
      dsctlOk(dsd.dir, 'dispatcher.set_state', 'ip', '1', target);
      const t0 = Date.now();
      await page.locator(`tr.dest.down[data-uri="${target}"]`).waitFor({ timeout: 30_000 });
      const ms = Date.now() - t0;
      const redAt = await page.evaluate(() => (globalThis as unknown as { __redAt: number }).__redAt);
      assert.ok(redAt >= n0, `the observer saw the row turn red (${redAt})`);
      assert.ok(
        redAt - n0 <= 2,
        `red with the first or second push after set_state (${redAt - n0} pushes, one every ${SAMPLE_MS} ms)`,
      );
      assert.ok(SAMPLE_MS <= 1000, 'the page is pushed an update at least every second');
      const bg = await page
        .locator(`tr.dest[data-uri="${bk.uri(1)}"]`)
        .evaluate(
          (e) =>
            (globalThis as unknown as { getComputedStyle(x: unknown): { backgroundColor: string } }).getComputedStyle(e)
              .backgroundColor,
        );
      const [r, g, b] = (bg.match(/\d+/g) ?? []).map(Number);
      assert.ok(r !== undefined && g !== undefined && b !== undefined, `a colour: ${bg}`);
      assert.ok(r > g && r > b, `the row is red: ${bg}`);
      assert.equal(await page.locator(`tr.dest[data-uri="${bk.uri(1)}"] .badge`).textContent(), 'inactive, probing');
      assert.equal(await page.locator('tr.dest.down').count(), 1, 'only that one');

      dsctlOk(dsd.dir, 'dispatcher.drain', '2', bk.uri(2));
      await page
        .locator(`tr.dest.draining[data-uri="${bk.uri(2)}"] .mark`)
        .filter({ hasText: 'draining' })
        .waitFor({ timeout: 30_000 });

      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'status-page.png'), fullPage: true });
      assert.deepEqual(foreign, [], 'every request stayed on the metrics listener');
      process.stdout.write(`# status page turned red ${ms} ms after set_state (informational)\n`);
    } finally {
      await ctx.close();
    }
  });
});
