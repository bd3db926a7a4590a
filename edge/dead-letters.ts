// Frames the gateway could not use, kept with their coded reason so a technician can see what
// a device actually sent. The gateway keeps them in its SQLite store (edge/outbox/
// sqlite-dead-letters.ts, read by `stockpulse deadletter`); MemoryDeadLetters below is for tests.

export interface DeadLetter {
  at: number;
  source: string;
  topic?: string;
  code: string;
  reason: string;
  payload: string;
}

export interface DeadLetterStore {
  add(d: Omit<DeadLetter, 'at'> & { at?: number }): void;
  list(limit?: number): DeadLetter[];
  count(): number;
}

const MAX_PAYLOAD_CHARS = 4096;

export class MemoryDeadLetters implements DeadLetterStore {
  private readonly items: DeadLetter[] = [];
  private total = 0;

  constructor(private readonly capacity = 1000) {}

  add(d: Omit<DeadLetter, 'at'> & { at?: number }): void {
    this.total++;
    this.items.push({ ...d, at: d.at ?? Date.now(), payload: d.payload.slice(0, MAX_PAYLOAD_CHARS) });
    if (this.items.length > this.capacity) this.items.shift();
  }

  list(limit = 100): DeadLetter[] {
    return this.items.slice(-limit).reverse();
  }

  /** all frames ever dead-lettered, including those rotated out of memory */
  count(): number {
    return this.total;
  }
}
