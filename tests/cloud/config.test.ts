import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CloudEnv, cloudConfigFromEnv, cloudSettingsFromEnv } from '../../cloud/config.ts';
import { runCli } from '../helpers/cli.ts';

// The cloud's configuration is read once: every environment variable goes through
// cloud/config.ts (zod, every problem named by its variable), the result is frozen and handed
// down, and `stockpulse cloud --help` lists every variable of the schema.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BASE = { MQTT_URL: 'mqtt://127.0.0.1:1' };

function cloudSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js)$/.test(name)) out.push(p);
    }
  };
  walk(join(ROOT, 'cloud'));
  return out;
}

describe('cloud config', () => {
  it('nothing in cloud/ but cloud/config.ts reads process.env', () => {
    const readers = cloudSources().map((p) => relative(ROOT, p))
      .filter((p) => p !== 'cloud/config.ts' && /process\.env\b/.test(readFileSync(join(ROOT, p), 'utf8')));
    expect(readers).toEqual([]);
  });

  it.each([
    ['STOCKPULSE_COUNT_DRIFT_PCT', 'two'],
    ['STOCKPULSE_PO_APPROVAL_THRESHOLD_MINOR', '5k'],
    ['STOCKPULSE_SERVICE_LEVEL', 'high'],
    ['STOCKPULSE_REPLENISH_HISTORY_DAYS', 'NaN'],
    ['STOCKPULSE_REPLENISH_COVER_DAYS', '14 days'],
    ['STOCKPULSE_UPLINK_STALL_SEC', 'Infinity'],
    ['HTTP_PORT', 'http'],
  ])('%s=%s (not a number) is refused, naming the variable', (name, value) => {
    expect(() => cloudConfigFromEnv({ ...BASE, [name]: value })).toThrow(expect.objectContaining({
      code: 'SP_ERR_CONFIG', details: [expect.objectContaining({ field: name })],
    }));
  });

  it('STOCKPULSE_PDF_CJK_FONT: a font file path, defaulting to fonts-noto-cjk\'s collection', () => {
    expect(cloudConfigFromEnv(BASE).STOCKPULSE_PDF_CJK_FONT).toBe('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc');
    expect(cloudSettingsFromEnv({ STOCKPULSE_PDF_CJK_FONT: '/opt/fonts/NotoSansCJK-Regular.otf' }).STOCKPULSE_PDF_CJK_FONT).toBe('/opt/fonts/NotoSansCJK-Regular.otf');
    expect(() => cloudConfigFromEnv({ ...BASE, STOCKPULSE_PDF_CJK_FONT: '/etc/passwd' })).toThrow(expect.objectContaining({
      code: 'SP_ERR_CONFIG', details: [expect.objectContaining({ field: 'STOCKPULSE_PDF_CJK_FONT' })],
    }));
  });

  it('every problem is listed at once, each with its variable', () => {
    let error: unknown;
    try { cloudConfigFromEnv({ STOCKPULSE_COUNT_DRIFT_PCT: 'x', STOCKPULSE_SERVICE_LEVEL: '1.5', STOCKPULSE_PUBLIC_URL: 'not a url' }); } catch (e) { error = e; }
    const fields = (error as { details: { field: string }[] }).details.map((d) => d.field).sort();
    expect(fields).toEqual(['MQTT_URL', 'STOCKPULSE_COUNT_DRIFT_PCT', 'STOCKPULSE_PUBLIC_URL', 'STOCKPULSE_SERVICE_LEVEL']);
  });

  it('numbers are parsed, defaults filled, and the result is frozen all the way down', () => {
    const c = cloudConfigFromEnv({ ...BASE, STOCKPULSE_COUNT_DRIFT_PCT: '3.5', STOCKPULSE_WEBHOOKS: 'http://a.example/x, http://b.example/y', STOCKPULSE_PUBLIC_URL: '' });
    expect(c.STOCKPULSE_COUNT_DRIFT_PCT).toBe(3.5);
    expect(c.STOCKPULSE_PO_APPROVAL_THRESHOLD_MINOR).toBe(500_000);
    expect(c.STOCKPULSE_PUBLIC_URL).toBeUndefined(); // VAR= (empty) counts as unset
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.STOCKPULSE_WEBHOOKS)).toBe(true);
    expect(Object.isFrozen(c.NOTIFY_FILE_ENV)).toBe(true);
    expect(() => { (c as { HTTP_PORT: number }).HTTP_PORT = 1; }).toThrow(TypeError);
    // the copy of the environment for the notify file does not travel in a logged config
    expect(JSON.stringify(c)).not.toContain('NOTIFY_FILE_ENV');
  });

  it('the rule settings parse on their own (stockpulse jobs run needs no broker)', () => {
    expect(cloudSettingsFromEnv({ STOCKPULSE_SERVICE_LEVEL: '0.99' }).STOCKPULSE_SERVICE_LEVEL).toBe(0.99);
    expect(() => cloudSettingsFromEnv({ STOCKPULSE_REPLENISH_COVER_DAYS: 'soon' })).toThrow(expect.objectContaining({
      details: [expect.objectContaining({ field: 'STOCKPULSE_REPLENISH_COVER_DAYS' })],
    }));
  });

  it('`stockpulse cloud --help` documents every variable of the schema, with its default', async () => {
    const r = await runCli(['cloud', '--help']);
    expect(r.code).toBe(0);
    const listed = [...r.stdout.matchAll(/^ {2}([A-Z][A-Z0-9_]+)$/gm)].map((m) => m[1]);
    expect(listed).toEqual(Object.keys(CloudEnv.shape));
    expect(r.stdout).toMatch(/STOCKPULSE_COUNT_DRIFT_PCT\n(?: {6}.*\n)*? {6}.*\(default 2\)/);
  });
});
