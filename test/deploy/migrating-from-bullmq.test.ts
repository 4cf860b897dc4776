// MIGRATING_FROM_BULLMQ.md: every Caudex name it maps onto is real — the exports its code
// imports, the client methods, and the statuses and events it names.
import { describe, expect, it } from "vitest";
import * as caudex from "../../src/index.js";
import { Client } from "../../src/core/client.js";
import { JOB_EVENT_TYPES } from "../../src/core/events.js";
import { JOB_STATUSES } from "../../src/core/job-states.js";
import { readRepoFile } from "./deploy-files.js";

const guide = readRepoFile("MIGRATING_FROM_BULLMQ.md");

/** The body of the section whose heading starts with `title`. */
function section(title: string): string {
  const start = guide.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`no section ${title}`);
  const end = guide.indexOf("\n## ", start + 3);
  return guide.slice(start, end < 0 ? undefined : end);
}

describe("MIGRATING_FROM_BULLMQ.md", () => {
  it("imports only what the package exports in its Caudex example", () => {
    const imports = [...guide.matchAll(/import \{([^}]+)\} from "caudex";/g)].flatMap((m) => (m[1] ?? "").split(",").map((name) => name.trim()));
    expect(imports.length).toBeGreaterThan(3);
    for (const name of imports) expect(caudex, name).toHaveProperty(name);
  });

  it("names only client methods that exist", () => {
    const methods = [...new Set([...guide.matchAll(/`client\.([a-zA-Z]+)(?:\.([a-zA-Z]+))?\(/g)].map((m) => [m[1], m[2]] as const))];
    expect(methods.length).toBeGreaterThan(8);
    const store = { kind: "none" } as unknown as ConstructorParameters<typeof Client>[0]["store"];
    const client = new Client({ store });
    for (const [name, sub] of methods) {
      const value = (client as unknown as Record<string, unknown>)[name as string];
      expect(value, `client.${name}`).toBeDefined();
      if (sub !== undefined) expect((value as Record<string, unknown>)[sub], `client.${name}.${sub}`).toBeTypeOf("function");
    }
  });

  it("maps BullMQ states and events onto Caudex's own, and every Caudex status appears", () => {
    const states = [...section("States").matchAll(/\| `[^`]+`[^|]*\| `([A-Z]+)`/g)].map((m) => m[1]);
    for (const status of states) expect(JOB_STATUSES, status).toContain(status);
    for (const status of JOB_STATUSES) if (status !== "PENDING") expect(section("States"), status).toContain(`\`${status}\``);
    const events = [...section("Events").matchAll(/`(job:[a-z]+)`/g)].map((m) => m[1]);
    expect(events.length).toBeGreaterThan(8);
    for (const event of events) expect(JOB_EVENT_TYPES, event).toContain(event);
  });
});
