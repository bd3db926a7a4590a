import type { Logger } from 'pino';
import type { AlertEvent } from '../../protocols/uplink/contract.ts';
import type { AlarmOutput } from './types.ts';

// The simplest local output: a log line per transition, for a console or a journal watched on site.
export class LogAlarmOutput implements AlarmOutput {
  readonly type = 'log';
  private lines = 0;
  constructor(readonly name: string, private readonly log: Logger) {}

  async deliver(a: AlertEvent): Promise<void> {
    this.lines++;
    this.log[a.transition === 'raised' ? 'warn' : 'info']({ output: this.name, alert: a.id, zone: a.zone, rule: a.rule, severity: a.severity },
      `LOCAL ALARM ${a.transition.toUpperCase()}: ${a.message}`);
  }

  status(): Record<string, unknown> {
    return { lines: this.lines };
  }

  async close(): Promise<void> {}
}
