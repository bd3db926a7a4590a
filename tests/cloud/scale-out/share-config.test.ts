import { describe, expect, it } from 'vitest';
import { cloudConfigFromEnv } from '../../../cloud/config.ts';
import { topics } from '../../../protocols/uplink/contract.ts';
import { SpError } from '../../../protocols/errors.ts';

// The scale-out switch: STOCKPULSE_SHARE_GROUP makes the ingest join an MQTT 5 shared
// subscription, and with it the ingest client speaks MQTT 5 unless told otherwise.

const base = { MQTT_URL: 'mqtt://broker:1883' };

describe('share group configuration', () => {
  it('one instance (and the demo on aedes): plain subscription, MQTT 3.1.1', () => {
    const c = cloudConfigFromEnv(base);
    expect(c.STOCKPULSE_SHARE_GROUP).toBeUndefined();
    expect(c.MQTT_PROTOCOL_VERSION).toBe(4);
    expect(topics.batchSubscription(c.STOCKPULSE_SHARE_GROUP)).toBe('stockpulse/v1/gw/+/batch');
  });

  it('a share group joins $share/GROUP/… over MQTT 5; an explicit version still wins', () => {
    const c = cloudConfigFromEnv({ ...base, STOCKPULSE_SHARE_GROUP: 'ingest' });
    expect(c.MQTT_PROTOCOL_VERSION).toBe(5);
    expect(topics.batchSubscription(c.STOCKPULSE_SHARE_GROUP)).toBe('$share/ingest/stockpulse/v1/gw/+/batch');
    expect(cloudConfigFromEnv({ ...base, STOCKPULSE_SHARE_GROUP: 'ingest', MQTT_PROTOCOL_VERSION: '4' }).MQTT_PROTOCOL_VERSION).toBe(4);
  });

  it('a group name that would change the topic filter is refused, naming the variable', () => {
    let err: unknown;
    try { cloudConfigFromEnv({ ...base, STOCKPULSE_SHARE_GROUP: 'in/gest' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(SpError);
    expect((err as SpError).code).toBe('SP_ERR_CONFIG');
    expect((err as SpError).details).toEqual([{ field: 'STOCKPULSE_SHARE_GROUP', reason: 'letters, digits, _ and - only' }]);
  });
});
