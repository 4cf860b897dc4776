import { describe, expect, it } from "vitest";
import { ProgressBar } from "./progress-bar.js";

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (text: string) => writes.push(text) > 0 };
}

describe("ProgressBar", () => {
  it("draws a bar with the percentage and count on a terminal", () => {
    const tty = stream(true);
    const bar = ProgressBar.on(tty, "Purging", 200);
    bar.update(50);
    bar.done();
    expect(tty.writes.join("")).toContain("25% 50/200");
    expect(tty.writes.at(-1)).toBe("\n");
  });

  it("shows a counter when the total is unknown", () => {
    const tty = stream(true);
    const bar = ProgressBar.on(tty, "Purging", null);
    bar.update(7);
    bar.done();
    expect(tty.writes.join("")).toContain("Purging 7");
  });

  it("writes nothing when the stream is not a terminal, or when disabled", () => {
    const pipe = stream(false);
    const piped = ProgressBar.on(pipe, "Purging", 10);
    piped.update(5);
    piped.done();
    const tty = stream(true);
    const disabled = ProgressBar.on(tty, "Purging", 10, false);
    disabled.update(5);
    disabled.done();
    expect([...pipe.writes, ...tty.writes]).toEqual([]);
  });
});
