import net from 'node:net';
import ModbusSerial from 'modbus-serial';

// Real Modbus TCP slaves on 127.0.0.1 for driver tests: a healthy one (modbus-serial's
// ServerTCP), a dead one (accepts, never answers) and a free port with nothing listening.

/** A port that was free a moment ago (ServerTCP treats port 0 as "use 502", so we pick one). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export interface Slave {
  port: number;
  holding: Map<number, number>;
  input: Map<number, number>;
  coils: Map<number, boolean>;
  discrete: Map<number, boolean>;
  /** every read request served: area, first address, count (bit reads: one entry per bit) */
  requests: { area: 'holding' | 'input' | 'coil' | 'discrete'; address: number; count: number }[];
  close(): Promise<void>;
}

/** Unmapped addresses answer Modbus exception 2 (illegal data address), like a real device. */
export async function startSlave(regs: { holding?: Record<number, number>; input?: Record<number, number>; coils?: Record<number, boolean>; discrete?: Record<number, boolean> }, port?: number): Promise<Slave> {
  const p = port ?? (await freePort());
  const holding = new Map(Object.entries(regs.holding ?? {}).map(([k, v]) => [Number(k), v]));
  const input = new Map(Object.entries(regs.input ?? {}).map(([k, v]) => [Number(k), v]));
  const coils = new Map(Object.entries(regs.coils ?? {}).map(([k, v]) => [Number(k), v]));
  const discrete = new Map(Object.entries(regs.discrete ?? {}).map(([k, v]) => [Number(k), v]));
  const requests: Slave['requests'] = [];
  const bit = (area: 'coil' | 'discrete', map: Map<number, boolean>) => (addr: number) => {
    requests.push({ area, address: addr, count: 1 });
    const v = map.get(addr);
    if (v === undefined) throw { modbusErrorCode: 2, msg: 'illegal data address' };
    return v;
  };
  const get = (map: Map<number, number>, addr: number): number => {
    const v = map.get(addr);
    if (v === undefined) throw { modbusErrorCode: 2, msg: 'illegal data address' };
    return v;
  };
  const many = (area: 'holding' | 'input', map: Map<number, number>) => (addr: number, len: number) => {
    requests.push({ area, address: addr, count: len });
    return Array.from({ length: len }, (_, i) => get(map, addr + i));
  };
  const server = new ModbusSerial.ServerTCP({
    getHoldingRegister: (addr: number) => { requests.push({ area: 'holding', address: addr, count: 1 }); return get(holding, addr); },
    getInputRegister: (addr: number) => { requests.push({ area: 'input', address: addr, count: 1 }); return get(input, addr); },
    getMultipleHoldingRegisters: many('holding', holding),
    getMultipleInputRegisters: many('input', input),
    getCoil: bit('coil', coils),
    getDiscreteInput: bit('discrete', discrete),
  }, { host: '127.0.0.1', port: p, unitID: 255 });
  await new Promise<void>((resolve, reject) => {
    server.on('initialized', () => resolve());
    server.on('serverError', (e: unknown) => reject(e));
  });
  return {
    port: p, holding, input, coils, discrete, requests,
    close: () => new Promise<void>((resolve) => {
      for (const sock of server.socks.keys()) sock.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Accepts connections and never answers: a hung gateway or a slave stuck in a firmware loop. */
export async function startDeadSlave(): Promise<{ port: number; connections(): number; close(): Promise<void> }> {
  const socks = new Set<net.Socket>();
  // resume(): swallow the requests (so a FIN from the client is seen) but never answer
  const srv = net.createServer((s) => { socks.add(s); s.resume(); s.on("error", () => {}); s.on("close", () => socks.delete(s)); });
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
  return {
    port: (srv.address() as net.AddressInfo).port,
    connections: () => socks.size,
    close: () => new Promise<void>((resolve) => { for (const s of socks) s.destroy(); srv.close(() => resolve()); }),
  };
}
