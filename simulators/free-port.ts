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
