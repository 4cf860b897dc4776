// Placeholder until the Redis store lands in this file.
import type { Store } from "../../core/store.js";
import { StoreUnavailableError } from "../../core/errors.js";

/** The Redis store (in progress). */
export class RedisStore {
  static async connect(_options: { url: string; namespace?: string }): Promise<Store> {
    throw new StoreUnavailableError("The Redis store is not built yet");
  }
}
