// The SQLite notifier's wake-ups for other processes' commits, with a stand-in for
// `PRAGMA data_version`: the poll alone, and the folder watch that reads again until the commit
// shows.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteNotifier } from "./sqlite-notifier.js";

const dir = mkdtempSync(join(tmpdir(), "caudex-notifier-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("SqliteNotifier", () => {
  it("wakes a waiter on its poll when data_version changes, with no file to watch", async () => {
    let version = 1;
    const notifier = new SqliteNotifier(() => version, 10, null);
    const started = Date.now();
    const wait = notifier.wait(30_000, new AbortController().signal);
    version = 2;
    await wait;
    expect(Date.now() - started).toBeLessThan(5_000);
    notifier.close();
  });

  it("reads data_version again after a write to the WAL file until the commit shows, long before its poll", async () => {
    const db = join(dir, "watched.db");
    writeFileSync(db, "");
    // The commit shows only at the fourth read after the write (as after a writer's fsync).
    let reads = 0;
    let written = false;
    const notifier = new SqliteNotifier(() => (written ? ++reads : 0) >= 4 ? 2 : 1, 60_000, db);
    const started = Date.now();
    const wait = notifier.wait(10_000, new AbortController().signal);
    appendFileSync(`${db}-wal`, "frames");
    written = true;
    await wait;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(reads).toBeGreaterThanOrEqual(4);
    notifier.close();
  });

  it("ignores writes to other files of the folder", async () => {
    const db = join(dir, "quiet.db");
    writeFileSync(db, "");
    let reads = 0;
    const notifier = new SqliteNotifier(() => (reads++, 1), 60_000, db);
    const wait = notifier.wait(300, new AbortController().signal);
    const before = reads;
    appendFileSync(join(dir, "other.log"), "noise");
    await wait;
    expect(reads).toBe(before);
    notifier.close();
  });
});
