// The PostgreSQL store's connections: the pool, one transaction per transition (retried on a
// deadlock or serialization failure, which PostgreSQL resolves by aborting one side), statements
// on an application's own client (transactional enqueue), and the translation of connection
// failures into STORE_UNAVAILABLE. The steps themselves live in the postgres-*.ts modules.
import type pg from "pg";
import { StoreUnavailableError } from "../../core/errors.js";
import type { WriteRefusals } from "../../core/write-refusals.js";

/** What a step runs its statements on: one transaction, or the pool for single reads. */
export interface Tx {
  /** The rows of a statement whose table names are written `{s}.table`. */
  rows<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** The first row, or undefined. */
  row<R>(sql: string, params?: readonly unknown[]): Promise<R | undefined>;
  /** How many rows a statement changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Wakes the waiters of `queue` (every queue when omitted) once this transaction commits. */
  wake(queue?: string): void;
}

/** Something pg can send a query to: a pool, a pooled client, or an application's client. */
export interface Queryable {
  query(config: pg.QueryConfig): Promise<pg.QueryResult>;
}

// Statement names by final text: pg prepares a named statement once per connection.
const statementNames = new Map<string, string>();
const INT8_OID = 20;
// Times are epoch milliseconds in bigint columns: exact as JavaScript numbers up to 2^53.
function typeParser(driver: typeof pg): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: string): unknown =>
      oid === INT8_OID ? (value: string) => Number(value) : (driver.types.getTypeParser(oid, format as "text") as unknown)) as pg.CustomTypesConfig["getTypeParser"],
  };
}

/** A quoted identifier of a schema name already checked against SCHEMA_NAME. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/** The SQL texts of one schema, `{s}` replaced by it, and how they are sent. */
export class SchemaSql {
  private readonly texts = new Map<string, string>();
  readonly types: pg.CustomTypesConfig;

  constructor(
    readonly schema: string,
    driver: typeof pg,
    private readonly prepared: boolean,
  ) {
    this.types = typeParser(driver);
  }

  /** The channel the store's wake-ups are sent on (one per schema). */
  get channel(): string {
    return `${this.schema}.wake`;
  }

  /** The query config of `sql` with `params`: a named (prepared) statement unless `unnamed`. */
  config(sql: string, params: readonly unknown[], unnamed = false): pg.QueryConfig {
    let text = this.texts.get(sql);
    if (text === undefined) this.texts.set(sql, (text = sql.replaceAll("{s}", `"${this.schema}"`)));
    const config: pg.QueryConfig = { text, values: params as unknown[], types: this.types };
    if (this.prepared && !unnamed) {
      let name = statementNames.get(text);
      if (name === undefined) statementNames.set(text, (name = `caudex_${statementNames.size + 1}`));
      config.name = name;
    }
    return config;
  }
}

/** Statements on one connection (or the pool), with the wake-ups asked for along the way. */
export class PgTx implements Tx {
  readonly wakes = new Set<string>();

  constructor(
    private readonly target: Queryable,
    private readonly sql: SchemaSql,
    private readonly unnamed = false,
  ) {}

  async rows<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return (await this.target.query(this.sql.config(sql, params, this.unnamed))).rows as R[];
  }

  async row<R>(sql: string, params: readonly unknown[] = []): Promise<R | undefined> {
    return (await this.rows<R>(sql, params))[0];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.target.query(this.sql.config(sql, params, this.unnamed))).rowCount ?? 0;
  }

  wake(queue = "*"): void {
    this.wakes.add(queue);
  }

  /** Sends the wake-ups asked for: NOTIFY inside the transaction is delivered when it commits. */
  async sendWakes(): Promise<void> {
    if (this.wakes.size === 0) return;
    await this.target.query(this.sql.config("SELECT pg_notify($1, q) FROM unnest($2::text[]) q", [this.sql.channel, [...this.wakes]], this.unnamed));
    this.wakes.clear();
  }
}

// SQLSTATEs of a transaction PostgreSQL aborted to break a deadlock or a serialization conflict: run it again.
const RETRYABLE = new Set(["40001", "40P01"]);
const MAX_TRANSACTION_TRIES = 8;
// Network errors and SQLSTATEs of a server that is gone, shutting down, starting, or out of connections.
const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "EAI_AGAIN", "57P01", "57P02", "57P03", "53300", "08000", "08001", "08003", "08004", "08006"]);
// SQLSTATEs of a server that cannot write: disk full, out of memory, read-only (a standby).
const REFUSED_CODES: Record<string, string> = { "53100": "the disk is full", "53200": "out of memory", "25006": "the server is read-only (a standby?)" };

/** The pool and transactions of one store. */
export class PostgresDatabase {
  constructor(
    readonly pool: pg.Pool,
    readonly sql: SchemaSql,
    readonly refusals: WriteRefusals,
    private readonly describe: string,
  ) {}

  /** Statements on the pool, each its own implicit transaction (reads). */
  reads(): Tx {
    return new PgTx(this.pool, this.sql);
  }

  /** Runs `fn` in one transaction on a pooled connection; retried whole on a deadlock or serialization failure. */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        throw this.translate(error);
      }
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        const tx = new PgTx(client, this.sql);
        const result = await fn(tx);
        await tx.sendWakes();
        await client.query("COMMIT");
        return result;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
        } catch (rollbackError) {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        if (attempt < MAX_TRANSACTION_TRIES && RETRYABLE.has(codeOf(error))) continue;
        throw this.translate(error);
      } finally {
        client.release(broken);
      }
    }
  }

  /** Runs `fn` on an application's client inside its open transaction: no BEGIN, no COMMIT of ours. */
  async onClient<T>(client: Queryable, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const tx = new PgTx(client, this.sql, true);
    try {
      const result = await fn(tx);
      await tx.sendWakes();
      return result;
    } catch (error) {
      throw this.translate(error);
    }
  }

  /**
   * Failures of the server rather than of the request become STORE_UNAVAILABLE (the transaction
   * was rolled back, or never began); a CaudexError and any other error pass as they are.
   */
  translate(error: unknown): unknown {
    if (!(error instanceof Error)) return error;
    const code = codeOf(error);
    const refused = REFUSED_CODES[code];
    if (refused !== undefined) {
      const reason = `PostgreSQL ${this.describe} refuses writes: ${refused}: ${error.message}`;
      this.refusals.note(reason);
      return new StoreUnavailableError(reason, error);
    }
    if (UNAVAILABLE_CODES.has(code) || /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(error.message)) {
      return new StoreUnavailableError(`PostgreSQL ${this.describe} is unavailable: ${error.message}`, error);
    }
    return error;
  }
}

/** The SQLSTATE or system error code of an error, or "". */
export function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}
