import type { ReadingKind } from './reading.ts';

/** The unit a reading of each kind is expressed in (see Reading.value). */
const UNIT: Record<ReadingKind, string> = {
  temperature: '°C', humidity: '%', door: 'open', battery: '%', signal: 'dBm', weight: 'kg', setpoint: '°C', compressor: 'on',
  defrost: 'on', product_temperature: '°C',
};

export function unitOfKind(kind: string): string {
  return (UNIT as Record<string, string>)[kind] ?? '';
}
