// Replaying recorded readings through the alarm rules (`stockpulse replay`).
export { replayReadings, withAlarmOverrides, type AlarmOverrides, type ReplayOptions, type ReplaySummary } from './replay.ts';
export { parseDoor, parseHeader, parseTimestamp, splitCsvLine } from './csv.ts';
export { ReorderBuffer } from './reorder-buffer.ts';
