// Appends a batch's changes to the change history (`<table>__history`,
// --history), before the state table is written: a change whose history row
// can not be stored is not applied either, so the history never lacks a
// change the state table took. Each change is stored once by its id, so a
// redelivered batch appends nothing twice, and a late change is appended all
// the same (the guard of the state table does not apply here).

import { OnceUntilFailure } from "../cache-until-failure.ts";
import type { HistoryRow } from "../codec/history-row.ts";
import { ensureHistoryTable } from "../sink/history-table.ts";
import type { Sink } from "../sink/sink.ts";
import { SinkError } from "../sink/sink-error.ts";
import type { TableSettings } from "../sql/dialect.ts";
import type { HistoryPartition } from "../sql/history.ts";
import type { TableName } from "../sql/table-name.ts";

export interface HistoryOptions {
  /** CrateDB: one partition of the history table per month (default) or day. */
  partition?: HistoryPartition | undefined;
  settings?: TableSettings | undefined;
}

/** Why a change's history row was not stored: refused (permanent) or the sink's to retry. */
export interface HistoryRefusal {
  error: SinkError;
  permanent: boolean;
}

export class HistoryWriter {
  readonly #sink: Sink;
  readonly #table: TableName;
  readonly #ready: OnceUntilFailure<void>;

  constructor(sink: Sink, table: TableName, options: HistoryOptions = {}) {
    this.#sink = sink;
    this.#table = table;
    this.#ready = new OnceUntilFailure(() =>
      ensureHistoryTable(sink, table, options.partition ?? "month", options.settings),
    );
  }

  /** Creates the history table if missing (once, until it fails). */
  ensure(): Promise<void> {
    return this.#ready.get();
  }

  /**
   * Appends the rows; returns the items whose rows were not stored. The sink
   * sends them as it writes fastest (CrateDB: bulk requests, several at
   * once) and names the rows refused one by one; a request refused whole is
   * split until the refused row stands alone, so every other change is kept.
   */
  async append<T>(items: { item: T; row: HistoryRow }[]): Promise<Map<T, HistoryRefusal>> {
    const refused = new Map<T, HistoryRefusal>();
    if (items.length > 0) await this.#write(items, refused);
    return refused;
  }

  async #write<T>(
    items: { item: T; row: HistoryRow }[],
    refused: Map<T, HistoryRefusal>,
  ): Promise<void> {
    try {
      const failed = await this.#sink.appendHistory(
        this.#table,
        items.map((i) => i.row),
      );
      for (const [index, error] of failed)
        refused.set((items[index] as { item: T }).item, {
          error,
          permanent: error.kind === "rejected",
        });
    } catch (error) {
      if (!(error instanceof SinkError)) throw error;
      // Dropped behind the writer's back: the next batch creates it again.
      if (error.missingRelation) this.#ready.forget();
      if (error.kind === "rejected" && items.length > 1) {
        const half = Math.ceil(items.length / 2);
        await this.#write(items.slice(0, half), refused);
        await this.#write(items.slice(half), refused);
        return;
      }
      for (const { item } of items)
        refused.set(item, { error, permanent: error.kind === "rejected" });
    }
  }
}
