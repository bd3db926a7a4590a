// The edge store's second job: small key → value facts a device adapter keeps across a restart
// (a scale's booked level, the cloud's last list of open documents). Written through
// OutboxQueue.append(entries, state) so a fact and the movement it belongs to share one commit.

export interface KeptState {
  /** a value kept with append(…, state), as of the last commit (survives a restart in a durable store) */
  savedState(key: string): string | undefined;
}
