// Who runs a namespace's maintenance pass, and when the others skip recovery and pruning.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MAINTENANCE_WINDOW_MS, MaintenanceWindow } from "./maintenance-window.js";

describe("MaintenanceWindow", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("lets the process that takes the window run, and keeps the one that lost out for three windows", async () => {
    let held = false;
    const take = async () => (held ? false : (held = true));
    const winner = new MaintenanceWindow(take);
    const loser = new MaintenanceWindow(take);
    expect(await winner.enter()).toBe(true);
    expect(await loser.enter()).toBe(false);
    expect(loser.leasesQuiet && loser.expiryQuiet).toBe(true);
    held = false; // the window's key expired
    vi.advanceTimersByTime(MAINTENANCE_WINDOW_MS);
    expect(await loser.enter()).toBe(false); // still backing off
    vi.advanceTimersByTime(2 * MAINTENANCE_WINDOW_MS);
    expect(await loser.enter()).toBe(true); // takes over once the winner stops renewing
  });

  it("lets the holder enter again without a round trip until its key lapses", async () => {
    let takes = 0;
    const window = new MaintenanceWindow(async () => (takes += 1) > 0);
    expect(await window.enter()).toBe(true);
    vi.advanceTimersByTime(MAINTENANCE_WINDOW_MS - 1);
    expect(await window.enter()).toBe(true);
    expect(takes).toBe(1);
    vi.advanceTimersByTime(1);
    expect(await window.enter()).toBe(true);
    expect(takes).toBe(2);
  });

  it("skips recovery or pruning only while the last pass found nothing due", async () => {
    const window = new MaintenanceWindow(async () => true);
    expect(await window.enter()).toBe(true);
    window.seen(true, false);
    expect(window.leasesQuiet).toBe(false);
    expect(window.expiryQuiet).toBe(true);
    vi.advanceTimersByTime(MAINTENANCE_WINDOW_MS / 2);
    expect(window.expiryQuiet).toBe(false);
  });
});
