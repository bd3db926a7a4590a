// Named (prepared) statements for PostgreSQL. An unnamed statement is parsed, analysed and
// planned again on every call; for the ingest's CTEs that is 1–2 ms each, most of a small
// batch's transaction (issue #12, the alarm path). A statement text seen a second time gets a
// name, and node-postgres then prepares it once per connection and only binds afterwards
// (PostgreSQL keeps the plan; with plan_cache_mode=auto it plans each run anew until a generic
// plan looks no dearer, which for the ingest's statements it never did: the ingest's transactions
// ask for the generic plan, engine.ts TxOptions.genericPlans).
//
// Bounded: a text built per call (a VALUES list sized to its rows) would otherwise name a new
// statement on every connection forever. At most MAX_NAMED texts are named and at most
// MAX_COUNTED are counted; past that, statements run unnamed as before.

const MAX_NAMED = 256;
const MAX_COUNTED = 4096;

export class StatementNames {
  private readonly named = new Map<string, string>();
  private readonly seen = new Map<string, number>();

  /** the name to run `sql` under, or undefined to run it unnamed */
  nameOf(sql: string): string | undefined {
    const name = this.named.get(sql);
    if (name !== undefined) return name;
    const count = (this.seen.get(sql) ?? 0) + 1;
    if (count < 2) {
      if (this.seen.size < MAX_COUNTED) this.seen.set(sql, count);
      return undefined;
    }
    if (this.named.size >= MAX_NAMED) return undefined;
    this.seen.delete(sql);
    const fresh = `sp_${this.named.size + 1}`;
    this.named.set(sql, fresh);
    return fresh;
  }

  get size(): number {
    return this.named.size;
  }
}
