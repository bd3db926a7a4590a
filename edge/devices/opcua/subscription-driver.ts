import {
  AttributeIds, ClientMonitoredItem, ClientSubscription, MessageSecurityMode, OPCUAClient, SecurityPolicy,
  TimestampsToReturn, type ClientSession, type DataValue,
} from 'node-opcua';
import { SpError } from '../../../protocols/errors.ts';
import { backoffDelay, type BackoffOptions, type DeviceDriver, type DriverStatus } from '../../../protocols/driver.ts';
import type { Reading, ReadingKind } from '../../../protocols/reading.ts';

// OPC UA client: one session, one subscription, one monitored item per configured node; every
// data change becomes a Reading. Booleans are 1/0 (door open, compressor running), numbers pass
// through, a Bad status is a sensor fault (reported, no reading).
//
// Reconnect: node-opcua's own reconnection keeps a session alive across short network cuts
// (and transfers subscriptions). A controller REBOOT loses the server-side session and
// subscription; relying on the library to rebuild those proved fragile, so this driver owns the
// whole lifecycle: when the connection is lost (or the session closes, or keep-alives stop) it
// tears everything down and builds client → session → subscription → items again, with capped
// jittered backoff, until stop(). The gateway never restarts.

export interface OpcUaPoint {
  sensor: string;
  kind: ReadingKind;
  /** e.g. ns=1;s=Fridge.Temperature or ns=3;i=1002 */
  nodeId: string;
}

export interface OpcUaDriverOptions {
  id: string;
  endpoint: string;
  points: readonly OpcUaPoint[];
  /** server-side sampling and publishing interval (ms) */
  samplingMs?: number;
  backoff?: Partial<BackoffOptions>;
  onReading: (r: Reading, deviceId: string) => void;
  onError?: (deviceId: string, err: SpError, sensor?: string) => void;
}

export function dataValueToNumber(dv: DataValue): number | undefined {
  const v = dv.value?.value as unknown;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

export class OpcUaSubscriptionDriver implements DeviceDriver {
  readonly id: string;
  private readonly st: DriverStatus = { state: 'stopped', failures: 0, reconnects: 0 };
  private running = false;
  private client: OPCUAClient | undefined;
  private session: ClientSession | undefined;
  private subscription: ClientSubscription | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private connectedOnce = false;
  private readonly backoff: BackoffOptions;

  constructor(private readonly o: OpcUaDriverOptions) {
    this.id = o.id;
    this.backoff = { baseMs: o.backoff?.baseMs ?? 250, maxMs: o.backoff?.maxMs ?? 10_000 };
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.st.state = 'starting';
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.teardown();
    this.st.state = 'stopped';
  }

  deviceStatuses(): Record<string, DriverStatus> {
    return { [this.id]: this.status() };
  }

  status(): DriverStatus {
    return { ...this.st, lastError: this.st.lastError && { ...this.st.lastError } };
  }

  /** Connect, subscribe, then wait until the link is lost; repeat with backoff. */
  private async run(): Promise<void> {
    let attempt = 0;
    while (this.running) {
      const lost = new Promise<void>((resolve) => { this.wake = resolve; });
      try {
        await this.connect(() => this.wake?.());
        attempt = 0;
        if (this.connectedOnce) this.st.reconnects++;
        this.connectedOnce = true;
        Object.assign(this.st, { state: 'running', failures: 0 });
        await lost; // until connection lost / session closed / stop()
        if (!this.running) break;
        this.fail('connection to the OPC UA server lost');
      } catch (e) {
        if (!this.running) break;
        this.fail(e instanceof Error ? e.message : String(e));
      }
      await this.teardown();
      attempt++;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(100, backoffDelay(attempt, this.backoff)));
        this.wake = () => { clearTimeout(t); resolve(); };
      });
    }
  }

  private async connect(onLost: () => void): Promise<void> {
    const client = OPCUAClient.create({
      applicationName: 'stockpulse-edge',
      endpointMustExist: false,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      // one attempt per connect(): our loop does the retrying, with jitter
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 500 },
      keepSessionAlive: true,
      requestedSessionTimeout: 20_000,
    });
    this.client = client;
    client.on('connection_lost', onLost);
    client.on('close', onLost);
    await client.connect(this.o.endpoint);
    const session = await client.createSession();
    this.session = session;
    session.on('session_closed', onLost);
    session.on('keepalive_failure', onLost);
    const every = this.o.samplingMs ?? 500;
    const sub = await session.createSubscription2({
      requestedPublishingInterval: every, requestedLifetimeCount: 60, requestedMaxKeepAliveCount: 10,
      maxNotificationsPerPublish: 1000, publishingEnabled: true, priority: 10,
    });
    this.subscription = sub;
    sub.on('terminated', onLost);
    for (const p of this.o.points) {
      const item = await sub.monitor({ nodeId: p.nodeId, attributeId: AttributeIds.Value }, { samplingInterval: every, discardOldest: true, queueSize: 10 }, TimestampsToReturn.Both);
      item.on('changed', (dv: DataValue) => this.onChange(p, dv));
      item.on('err', (msg: string) => this.report(new SpError('SP_ERR_DEVICE', { field: p.sensor, reason: `${p.nodeId}: ${msg}` }), p.sensor));
    }
  }

  private onChange(p: OpcUaPoint, dv: DataValue): void {
    const now = Date.now();
    if (!dv.statusCode.isGood()) {
      this.report(new SpError('SP_ERR_DEVICE', { field: p.sensor, reason: `${p.nodeId}: status ${dv.statusCode.name}` }), p.sensor);
      return;
    }
    const value = dataValueToNumber(dv);
    if (value === undefined) {
      this.report(new SpError('SP_ERR_DECODE', { field: p.sensor, reason: `${p.nodeId}: value ${String(dv.value?.value)} is not a number or boolean` }), p.sensor);
      return;
    }
    this.st.lastOkAt = now;
    const ts = dv.sourceTimestamp?.getTime() ?? dv.serverTimestamp?.getTime() ?? now;
    try {
      this.o.onReading({ sensor: p.sensor, kind: p.kind, ts: Number.isFinite(ts) && ts > 0 ? ts : now, value, quality: 'good' }, this.id);
    } catch { /* consumer bug */ }
  }

  private fail(reason: string): void {
    const err = new SpError('SP_ERR_DEVICE', { field: `devices.${this.id}`, reason: `${this.o.endpoint}: ${reason.replace(/\s+/g, ' ').trim()}` });
    this.st.state = 'failed';
    this.st.failures++;
    this.st.lastError = { code: err.code, message: err.message };
    this.st.lastErrorAt = Date.now();
    this.report(err);
  }

  private report(err: SpError, sensor?: string): void {
    try { this.o.onError?.(this.id, err, sensor); } catch { /* consumer bug */ }
  }

  private async teardown(): Promise<void> {
    const { client, session, subscription } = this;
    this.client = undefined;
    this.session = undefined;
    this.subscription = undefined;
    const quick = <T>(p: Promise<T> | undefined) => (p ? Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]) : Promise.resolve());
    client?.removeAllListeners();
    session?.removeAllListeners();
    subscription?.removeAllListeners();
    await quick(subscription?.terminate());
    await quick(session?.close(false));
    await quick(client?.disconnect());
  }
}
