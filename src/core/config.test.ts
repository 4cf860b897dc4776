import { describe, expect, it } from "vitest";
import { ConfigInvalidError } from "./errors.js";
import { DEFAULT_CONFIG, configuredStore, parseConfig, redactUrl } from "./config.js";

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigInvalidError) return error.problems;
    throw error;
  }
  throw new Error("expected ConfigInvalidError");
}

describe("parseConfig", () => {
  it("returns the defaults when nothing is given", () => {
    expect(parseConfig({})).toEqual(DEFAULT_CONFIG);
  });

  it("parses strings into typed values", () => {
    const config = parseConfig({
      redisUrl: "redis://localhost:6379/0",
      queues: " high , default,high ",
      concurrency: "10",
      resultTtlSeconds: "60",
      failureTtlSeconds: 0,
      port: "8080",
      logLevel: "DEBUG",
      token: "  ",
    });
    expect(config.redisUrl).toBe("redis://localhost:6379/0");
    expect(config.queues).toEqual(["high", "default"]);
    expect(config.concurrency).toBe(10);
    expect(config.resultTtlSeconds).toBe(60);
    expect(config.failureTtlSeconds).toBe(0);
    expect(config.port).toBe(8080);
    expect(config.logLevel).toBe("debug");
    expect(config.token).toBeNull();
  });

  it("reads the TTLs as durations or plain seconds, in whole seconds", () => {
    expect(parseConfig({ resultTtlSeconds: "1d", failureTtlSeconds: "500" })).toMatchObject({ resultTtlSeconds: 86_400, failureTtlSeconds: 500 });
    expect(parseConfig({ resultTtlSeconds: "1h30m", failureTtlSeconds: "0s" })).toMatchObject({ resultTtlSeconds: 5400, failureTtlSeconds: 0 });
    const problems = problemsOf(() => parseConfig({ resultTtlSeconds: "1500ms", failureTtlSeconds: "3651d" }, { resultTtlSeconds: "--result-ttl" }));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('--result-ttl must be a duration such as 30s');
    expect(problems[1]).toContain("failureTtlSeconds must be a duration");
  });

  it("treats an empty Redis URL as the SQLite store", () => {
    expect(parseConfig({ redisUrl: "" }).redisUrl).toBeNull();
  });

  it("lists every problem at once, named after its source", () => {
    const problems = problemsOf(() =>
      parseConfig(
        { concurrency: "ten", queues: "high,bad queue", resultTtlSeconds: "-5", port: "70000", redisUrl: "localhost:6379" },
        { concurrency: "CAUDEX_CONCURRENCY", queues: "--queues", resultTtlSeconds: "RQ_RESULT_TTL" },
      ),
    );
    expect(problems).toHaveLength(5);
    expect(problems.join("\n")).toContain('CAUDEX_CONCURRENCY must be an integer from 1 to 1000 (got "ten")');
    expect(problems.join("\n")).toContain('--queues has invalid queue names "bad queue"');
    expect(problems.join("\n")).toContain('RQ_RESULT_TTL must be a duration such as 30s, 10m, 1h30m or 1d, or a number of seconds, in whole seconds from 0 to 3650d (got "-5")');
    expect(problems.join("\n")).toContain("port must be an integer from 0 to 65535");
    expect(problems.join("\n")).toContain("redisUrl must be a redis:// or rediss:// URL");
  });

  it("rejects fractional numbers, empty queue lists and unknown log formats", () => {
    const problems = problemsOf(() => parseConfig({ concurrency: "2.5", queues: " , ", logFormat: "xml" }));
    expect(problems).toHaveLength(3);
  });

  it("rejects a read-only token equal to the full-access token", () => {
    expect(problemsOf(() => parseConfig({ token: "same-token-0123456789", readonlyToken: "same-token-0123456789" }))).toHaveLength(1);
  });

  it("rejects tokens shorter than 16 characters, and says how to generate one", () => {
    const problems = problemsOf(() => parseConfig({ token: "a", readonlyToken: "fifteen-chars-x" }, { token: "INTERNAL_SERVICE_TOKEN" }));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain("INTERNAL_SERVICE_TOKEN must be at least 16 characters (generate one with `openssl rand -hex 32`)");
    expect(problems[1]).toContain("readonlyToken must be at least 16 characters");
  });

  it("rejects tokens with spaces or control characters inside, without echoing them", () => {
    for (const token of ["a b", "token-with a-space-inside", "tab\tseparated-token-012345", "bell\u0007-token-0123456789", "nbsp\u00a0token-0123456789"]) {
      const problems = problemsOf(() => parseConfig({ token }));
      expect(problems, JSON.stringify(token)).toHaveLength(1);
      expect(problems[0]).toContain("token must not contain spaces or control characters");
      expect(problems[0]).not.toContain(token);
    }
  });

  it("accepts a 16-character token and trims the whitespace around it", () => {
    expect(parseConfig({ token: "  0123456789abcdef\n", readonlyToken: "read-only-token-0123456789" })).toMatchObject({
      token: "0123456789abcdef",
      readonlyToken: "read-only-token-0123456789",
    });
  });
});

describe("redactUrl", () => {
  it("hides the password and keeps the rest", () => {
    expect(redactUrl("redis://:s3cret@127.0.0.1:6390/2")).toBe("redis://:***@127.0.0.1:6390/2");
    expect(redactUrl("rediss://user:pw@example.com:6380")).toBe("rediss://user:***@example.com:6380");
  });

  it("leaves a URL without a password alone", () => {
    expect(redactUrl("redis://localhost:6379")).toBe("redis://localhost:6379");
  });
});

describe("configuredStore", () => {
  it("opens Redis when a Redis URL is set, else PostgreSQL when a PostgreSQL URL is, else the SQLite file", () => {
    const both = parseConfig({ redisUrl: "redis://r:6379", postgresUrl: "postgres://p/app" });
    expect(configuredStore(both)).toEqual({ kind: "redis", url: "redis://r:6379" });
    expect(configuredStore(parseConfig({ postgresUrl: "postgresql://p/app" }))).toEqual({ kind: "postgres", url: "postgresql://p/app" });
    expect(configuredStore(parseConfig({ postgresUrl: "" }))).toEqual({ kind: "sqlite", path: "./data/caudex.db" });
  });

  it("refuses a PostgreSQL URL of another scheme, its password hidden", () => {
    const problems = problemsOf(() => parseConfig({ postgresUrl: "mysql://app:s3cret@db/app" }, { postgresUrl: "CAUDEX_POSTGRES_URL" }));
    expect(problems).toEqual(['CAUDEX_POSTGRES_URL must be a postgres:// or postgresql:// URL (got "mysql://app:***@db/app")']);
  });
});
