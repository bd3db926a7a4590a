import type { TagRead } from '../../protocols/rfid/tag-read.ts';

// The edge store's third job: device input that is acknowledged before it means anything yet
// (an RFID portal's reads while the pass is open). journalAdd keeps it with the next group
// commit; journal(source) gives it back after a restart; journalClear drops it once what it
// became (movements, alerts) is appended. Their ids are deterministic, so a replay the cloud
// has seen changes nothing there.

export interface ReadJournal {
  journalAdd(source: string, reads: readonly TagRead[]): Promise<void>;
  journal(source: string): TagRead[];
  journalClear(source: string, upToTs: number): void;
}
