import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

// `stockpulse decode epc | mt-sics | weight-stream`, spawned the way a technician runs it.


const cli = (args: string[]) => runCli(['decode', ...args]);

describe('stockpulse decode (device protocols)', () => {
  it('epc: the GS1 TDS SGTIN-96 example', async () => {
    const r = await cli(['epc', '3074257BF7194E4000001A85']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ scheme: 'sgtin-96', gtin: '80614141123458', pureIdentityUri: 'urn:epc:id:sgtin:0614141.812345.6789' });
  });

  it('mt-sics and weight-stream lines', async () => {
    const a = await cli(['mt-sics', 'S D     129.07 g']);
    expect(JSON.parse(a.stdout)).toMatchObject({ response: { type: 'weight', stable: false, kg: 0.12907 }, sample: { stable: false } });
    const b = await cli(['weight-stream', 'ST,NT,+0012.345kg']);
    expect(JSON.parse(b.stdout)).toMatchObject({ line: { state: 'ST', mode: 'NT' }, sample: { mode: 'net', kg: 12.345, stable: true } });
  });

  it('garbage → coded error on stderr, exit 1', async () => {
    const r = await cli(['weight-stream', 'hello']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('error SP_ERR_DECODE');
    expect(r.stderr).toContain('  line: ');
    const e = await cli(['epc', 'xyz']);
    expect(e.code).toBe(1);
    expect(e.stderr).toContain('  epc: "xyz" is not hexadecimal');
  });
});
