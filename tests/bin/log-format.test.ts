import { describe, expect, it } from 'vitest';
import { createLogger, logFormat, prettyDestination, prettyLine } from '../../bin/log.ts';

// `npm start` at a terminal prints short human lines; piped or redirected it keeps pino's JSON
// (issue #13 part 5). The pretty line is made from the redacted JSON, so secrets stay out.

describe('terminal log format', () => {
  it('is pretty at a terminal and JSON in a pipe, unless STOCKPULSE_LOG_FORMAT says otherwise', () => {
    expect(logFormat({}, true)).toBe('pretty');
    expect(logFormat({}, false)).toBe('json');
    expect(logFormat({ STOCKPULSE_LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormat({ STOCKPULSE_LOG_FORMAT: 'Pretty' }, false)).toBe('pretty');
    expect(logFormat({ STOCKPULSE_LOG_FORMAT: 'fancy' }, true)).toBe('json');
  });

  it('writes HH:MM:SS, level, part, message and a few fields; the error by its message', () => {
    const t = new Date(2026, 11, 6, 1, 2, 3).getTime();
    const line = prettyLine(JSON.stringify({ level: 40, time: t, pid: 1, hostname: 'h', part: 'edge', zone: 'chiller', rule: 'high', err: { message: 'boom', stack: 'x' }, msg: 'alert raised: Chiller high' }));
    expect(line).toBe('01:02:03 WARN  edge   alert raised: Chiller high zone=chiller rule=high err=boom\n');
    expect(prettyLine('not json')).toBe('not json\n');
  });

  it('goes through the logger with secrets redacted as in the JSON', () => {
    const out: string[] = [];
    const log = createLogger('t', prettyDestination({ write: (s: string) => out.push(s) }));
    log.child({ part: 'cloud' }).info({ password: 'hunter2', url: 'mqtt://u:secret@host:1883' }, 'connected');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^\d\d:\d\d:\d\d INFO  cloud  connected password=\*\*\* url=mqtt:\/\/u:\*\*\*@host:1883\n$/);
    expect(out[0]).not.toContain('hunter2');
    expect(out[0]).not.toContain('secret');
  });
});
