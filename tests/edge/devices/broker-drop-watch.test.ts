import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { MqttClient } from 'mqtt';
import { BrokerDropWatch } from '../../../edge/broker/drop-watch.ts';
import type { AlertEvent } from '../../../protocols/uplink/contract.ts';
import { waitFor } from '../../helpers/net.ts';

// The counter logic of broker_dropping, driven message by message (the real Mosquitto path is in
// broker-dropping.test.ts): a first start takes the count as its baseline, a later start compares
// with the count it kept, a broker restart (count lower than kept) counts from zero, and one alert
// covers a run of drops until a quiet period passes.

const DROPPED = '$SYS/broker/publish/messages/dropped';

/** the one thing the watch needs of mqtt.js: 'message'/'connect' events and subscribeAsync */
function client(): MqttClient & { say(n: number): void; junk(text: string): void } {
  const c = new EventEmitter() as EventEmitter & { connected: boolean; subscribeAsync: () => Promise<{ qos: number }[]>; say(n: number): void };
  c.connected = true;
  c.subscribeAsync = async () => [{ qos: 0 }];
  c.say = (n) => c.emit('message', DROPPED, Buffer.from(String(n)));
  return Object.assign(c, { junk: (text: string) => c.emit('message', DROPPED, Buffer.from(text)) }) as unknown as MqttClient & { say(n: number): void; junk(text: string): void };
}

function watch(store: Map<string, string>, quietMs = 60_000) {
  const alerts: AlertEvent[] = [];
  const c = client();
  const w = new BrokerDropWatch({
    client: c, broker: '10.0.0.5:1883', site: 'site-a', quietMs, log: pino({ level: 'silent' }),
    onAlert: (a) => alerts.push(a), load: (k) => store.get(k), save: (k, v) => { store.set(k, v); },
  });
  w.start();
  return { c, w, alerts };
}

describe('BrokerDropWatch', () => {
  it('first start: the count seen is the baseline; a rise raises one alert naming the broker, further rises extend it', () => {
    const store = new Map<string, string>();
    const { c, w, alerts } = watch(store);
    c.say(40);
    expect(alerts).toEqual([]);
    c.say(45);
    c.say(60);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ rule: 'broker_dropping', transition: 'raised', zone: 'site-a', severity: 'critical', value: 5 });
    expect(alerts[0]!.message).toContain('10.0.0.5:1883');
    expect(w.state()?.alert?.dropped).toBe(20);
    w.stop();
  });

  it('a restarted gateway compares with the count it kept: drops during its outage are raised', () => {
    const store = new Map<string, string>();
    const first = watch(store);
    first.c.say(100);
    first.w.stop();
    const second = watch(store);
    second.c.say(1100);
    expect(second.alerts.map((a) => [a.transition, a.value])).toEqual([['raised', 1000]]);
    second.w.stop();
  });

  it('a broker restart (count lower than kept) counts from zero', () => {
    const store = new Map<string, string>();
    const { c, w, alerts } = watch(store);
    c.say(500);
    c.say(0); // restarted, nothing dropped since
    expect(alerts).toEqual([]);
    c.say(30);
    expect(alerts.map((a) => a.value)).toEqual([30]);
    w.stop();
  });

  it('clears after the quiet period with the total dropped, and ignores what is not a count', async () => {
    const store = new Map<string, string>();
    const { c, w, alerts } = watch(store, 50);
    c.say(1);
    c.junk('not a number');
    c.say(4);
    await waitFor(() => alerts.length === 2, 'broker_dropping cleared after 50 ms without a drop', 5000, 10);
    expect(alerts.map((a) => [a.transition, a.value])).toEqual([['raised', 3], ['cleared', 3]]);
    expect(alerts[1]!.id).toBe(alerts[0]!.id);
    expect(JSON.parse(store.get('broker-dropped:10.0.0.5:1883')!)).toEqual({ count: 4 });
    w.stop();
  });
});
