import type { ScenarioDefinition } from '../scenario-types.ts';
import { bakeryStock } from './bakery-stock.ts';

// A small bakery: a walk-in chiller for dairy and fillings (2–8 °C) watched by two wireless
// probes and a door contact, and a freezer for dough (≤ −18 °C) whose controller speaks Modbus
// TCP. The ids are a contract: edge/examples/bakery.yaml and the demo refer to them.

export const bakery: ScenarioDefinition = {
  name: 'bakery',
  summary: 'chiller (2–8 °C, 2 MQTT probes + door contact) and freezer (≤ −18 °C, Modbus TCP controller)',
  site: 'bakery-main',
  gatewayId: 'bakery-gw-1',
  defaultModbusPort: 15020,
  zones: [
    {
      id: 'chiller',
      name: 'Chiller',
      model: {
        setPoint: 4,
        ambient: 20,
        coolingTauSec: 600,
        // door propped open: past 8 °C after ~6 min, levels off near 10 °C as the unit fights it
        doorTauSec: 900,
        // compressor dead: past 8 °C after ~70 min
        failureTauSec: 4 * 3600,
        // mild off-cycle defrost: the air barely moves
        defrost: { everySec: 6 * 3600, durationSec: 15 * 60, riseC: 1.5, offsetSec: 2 * 3600 },
      },
      profile: { low: 2, high: 8 },
      alarm: { delaySec: 300, hysteresis: 0.5, doorGraceSec: 120, cumulative: { windowSec: 86_400, limitSec: 3600 } },
    },
    {
      id: 'freezer',
      name: 'Freezer',
      model: {
        setPoint: -21,
        ambient: 20,
        coolingTauSec: 900,
        doorTauSec: 1800,
        // better insulated than the chiller: a dead compressor shows past −18 °C after ~1 h
        failureTauSec: 12 * 3600,
        // electric defrost: a real spike (−21 → −13 °C) at 01:00, 07:00, 13:00 and 19:00 UTC on the
        // time scale; the gateway holds high alarms through it (edge/examples/bakery.yaml)
        defrost: { everySec: 6 * 3600, durationSec: 20 * 60, riseC: 8, offsetSec: 5 * 3600 },
      },
      profile: { high: -18 },
      alarm: { delaySec: 600, hysteresis: 1, doorGraceSec: 180 },
      defrost: { maxDurationMin: 45, recoveryMin: 30 },
    },
  ],
  devices: [
    { kind: 'mqtt-probe', id: 'chiller-probe-1', zone: 'chiller', name: 'Chiller probe 1 (shelf)', topic: 'bakery/chiller/probe-1', offsetC: 0.1, batteryStart: 97, sensors: { temperature: 'chiller-t1', battery: 'chiller-t1-battery' } },
    { kind: 'mqtt-probe', id: 'chiller-probe-2', zone: 'chiller', name: 'Chiller probe 2 (door side)', topic: 'bakery/chiller/probe-2', offsetC: 0.3, batteryStart: 88, sensors: { temperature: 'chiller-t2', battery: 'chiller-t2-battery' } },
    { kind: 'mqtt-door', id: 'chiller-door', zone: 'chiller', name: 'Chiller door contact', topic: 'bakery/chiller/door', sensors: { door: 'chiller-door' } },
    { kind: 'modbus-temperature', id: 'freezer-ctrl', zone: 'freezer', name: 'Freezer controller', unitId: 1, sensors: { temperature: 'freezer-t1' } },
  ],
  // dock door portal, flour silo scale (Modbus TCP), bench balance (MT-SICS): see bakery-stock.ts
  stock: bakeryStock,
};
