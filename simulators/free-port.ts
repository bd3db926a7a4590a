import net from 'node:net';

/**
 * A port nobody listens on right now. modbus-serial's ServerTCP turns port 0 into 502, so it
 * cannot be asked for an ephemeral port directly; we ask the OS and hand the number over.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * The first of `count` consecutive ports nobody listens on, for a scenario whose devices take
 * base, base + 1, … (the gateway's config is written before they listen). Drawn from 20000–32000,
 * below Linux's ephemeral range (32768+): a port there is never handed to someone's outgoing
 * connection in the meantime, which a neighbour of an OS-picked ephemeral port often is on a
 * busy box (seen in CI: the demo silo's base + 1 taken before it listened).
 */
export async function freePortRange(count: number, host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (12_000 - count));
    let free = true;
    for (let p = base; p < base + count && free; p++) free = await canListen(p, host);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports on ${host} in 20000–32000`);   // startup assertion
}
