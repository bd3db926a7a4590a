import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import type { Logger } from 'pino';
import { canPublish, canSubscribe, type BrokerIdentity, type BrokerSecurity } from './access.ts';
import { verifyPassword } from './passwords.ts';
import { DEFAULT_MAX_PACKET_BYTES, PacketSizeScanner } from './packet-cap.ts';
import './packet-id-cache.ts';

// The gateway's own MQTT broker (aedes), for sites without one: devices publish to it, and in
// the single-box demo the cloud link runs through it too. Port from config; 0 = any free port
// (never assume 1883 is free — a system Mosquitto usually holds it).
//
// With `security`, every connection must log in (password, or a client certificate whose CN
// names a user or a device) and is held to its identity's topic ACL. Without it the broker is
// open, which is only safe on loopback.

export interface EmbeddedBrokerTls {
  /** PEM contents (not paths) */
  key: string | Buffer;
  cert: string | Buffer;
  ca?: string | Buffer;
  requireClientCert?: boolean;
}

export interface EmbeddedBrokerOptions {
  host?: string;
  port?: number;
  security?: BrokerSecurity;
  tls?: EmbeddedBrokerTls;
  log?: Logger;
  /** the largest MQTT packet a client may send (default 5 MiB); a bigger one cuts its connection when its header arrives */
  maxPacketBytes?: number;
}

export interface EmbeddedBrokerStats {
  /** connections refused at login */
  authFailures: number;
  /** publishes refused by the ACL (the client is disconnected: MQTT 3.1.1 has no negative ack) */
  publishDenied: number;
  /** subscriptions refused by the ACL (answered with SUBACK 0x80) */
  subscribeDenied: number;
  /** connections cut because a packet announced more than maxPacketBytes */
  oversized: number;
}

export interface EmbeddedBroker {
  url: string;
  port: number;
  stats: EmbeddedBrokerStats;
  close(): Promise<void>;
}

type AuthError = Error & { returnCode: number };
const refused = (returnCode: 4 | 5, message: string): AuthError => Object.assign(new Error(message), { returnCode });

/** The verified client certificate's CN, when the connection is TLS and the certificate checked out. */
function certificateName(client: Client): string | undefined {
  const conn = (client as unknown as { conn?: unknown }).conn;
  if (!(conn instanceof tls.TLSSocket) || !conn.authorized) return undefined;
  const cn = conn.getPeerCertificate()?.subject?.CN;
  return typeof cn === 'string' && cn.length > 0 ? cn : undefined;
}

function securityHooks(sec: BrokerSecurity, stats: EmbeddedBrokerStats, log: Logger | undefined): Partial<AedesOptions> {
  const identities = new WeakMap<Client, BrokerIdentity>();
  // Compared against when the username is unknown, so "no such user" takes as long as "wrong password".
  const dummy = 'scrypt:AAAAAAAAAAAAAAAAAAAAAA==:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
  return {
    authenticate: (client, username, password, done) => {
      const fail = (code: 4 | 5, reason: string) => {
        stats.authFailures++;
        log?.warn({ clientId: client.id, username: username ?? null, reason }, 'broker login refused');
        done(refused(code, reason) as never, false);
      };
      const cn = certificateName(client);
      if (cn !== undefined) {
        if (username && username !== cn) return fail(5, `username "${username}" does not match the certificate CN "${cn}"`);
        const id = sec.users.get(cn)?.identity ?? sec.devices.get(cn);
        if (!id) return fail(5, `certificate CN "${cn}" is neither a user nor a device`);
        identities.set(client, id);
        return done(null, true);
      }
      if (!username) {
        if (!sec.anonymous) return fail(5, 'anonymous connections are not allowed');
        identities.set(client, sec.anonymous);
        return done(null, true);
      }
      const user = sec.users.get(username);
      if (!user && sec.lookup) {
        void sec.lookup(username, password ?? undefined).then((id) => {
          if (!id) return fail(4, 'bad username or password');
          identities.set(client, id);
          done(null, true);
        }, () => fail(5, 'login check unavailable'));
        return;
      }
      void verifyPassword(user?.password ?? dummy, password ?? undefined).then((ok) => {
        if (!ok || !user?.password || password === undefined) return fail(4, 'bad username or password');
        identities.set(client, user.identity);
        done(null, true);
      });
    },
    authorizePublish: (client, packet, done) => {
      // client is null for a will published after its client is gone; it was checked on connect.
      if (!client) return done(null);
      const id = identities.get(client);
      if (id && canPublish(id, packet.topic)) return done(null);
      stats.publishDenied++;
      log?.warn({ clientId: client.id, user: id?.name ?? null, topic: packet.topic }, 'publish refused by ACL; disconnecting the client');
      done(new Error(`not authorized to publish to ${packet.topic}`));
    },
    authorizeSubscribe: (client, sub, done) => {
      const id = identities.get(client);
      if (id && canSubscribe(id, sub.topic)) return done(null, sub);
      stats.subscribeDenied++;
      log?.warn({ clientId: client.id, user: id?.name ?? null, topic: sub.topic }, 'subscription refused by ACL');
      done(null, null); // SUBACK 0x80: refused, connection kept
    },
  };
}

export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const stats: EmbeddedBrokerStats = { authFailures: 0, publishDenied: 0, subscribeDenied: 0, oversized: 0 };
  const broker = await Aedes.createBroker(opts.security ? securityHooks(opts.security, stats, opts.log) : {});
  const sockets = new Set<net.Socket>();
  const maxPacket = opts.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
  const onSocket = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
    // aedes pulls with read() on 'readable'; a 'data' listener then sees each chunk just before
    // the packet parser does, without changing how the socket flows (packet-cap.ts)
    const scanner = new PacketSizeScanner(maxPacket);
    socket.on('data', (chunk: Buffer) => {
      const size = scanner.push(chunk);
      if (size === undefined || socket.destroyed) return;
      stats.oversized++;
      opts.log?.warn({ remote: socket.remoteAddress ?? null, announced: size, max: maxPacket }, 'MQTT packet over the size limit; connection cut');
      socket.destroy();
    });
  };
  let server: net.Server;
  if (opts.tls) {
    const t = opts.tls;
    // With a CA, certificates are requested; rejectUnauthorized makes them mandatory. Without
    // requireClientCert an unverified certificate is simply ignored (password login instead).
    server = tls.createServer({
      key: t.key, cert: t.cert, ca: t.ca,
      requestCert: t.ca !== undefined,
      rejectUnauthorized: t.ca !== undefined && t.requireClientCert === true,
      minVersion: 'TLSv1.2',
    }, onSocket);
    server.on('tlsClientError', (err, socket) => {
      stats.authFailures++;
      opts.log?.warn({ remote: socket.remoteAddress ?? null, reason: err.message }, 'TLS handshake refused');
    });
  } else {
    server = net.createServer(onSocket);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => { server.off('error', reject); resolve(); });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://${urlHost}:${port}`,
    port,
    stats,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
