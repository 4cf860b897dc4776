// docker-compose.yml: secrets only from .env, a durable Redis, a worker that scales with
// --scale, and a stop timeout that covers the worker's grace period.
import { describe, expect, it } from "vitest";
import { durationSeconds, gracePeriodSeconds, readRepoFile, readYaml } from "./deploy-files.js";

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | null>;
  ports?: unknown[];
  container_name?: string;
  restart?: string;
  healthcheck?: { test?: string[]; disable?: boolean };
  stop_grace_period?: string;
  stop_signal?: string;
  depends_on?: Record<string, { condition?: string }>;
  volumes?: string[];
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = readYaml<ComposeFile>("docker-compose.yml");
const { redis, api, worker } = compose.services;

function service(value: Service | undefined): Service {
  if (value === undefined) throw new Error("service missing from docker-compose.yml");
  return value;
}

function args(value: Service): string[] {
  if (!Array.isArray(value.command)) throw new Error("command must be an exec-form list");
  return value.command.map(String);
}

/** Variables interpolated as ${NAME...} in a string. */
function interpolated(text: string): string[] {
  return [...text.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1] as string);
}

describe("docker-compose.yml", () => {
  it("declares redis, api and worker services", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["api", "redis", "worker"]);
  });

  it("takes the token and the Redis password only from the environment file", () => {
    const apiEnv = service(api).environment ?? {};
    expect(String(apiEnv.INTERNAL_SERVICE_TOKEN)).toMatch(/^\$\{INTERNAL_SERVICE_TOKEN:\?[^}]+\}$/);
    for (const s of [service(api), service(worker)]) {
      const url = String(s.environment?.REDIS_URL);
      expect(url).toMatch(/^redis:\/\/:\$\{REDIS_PASSWORD:\?[^}]+\}@redis:6379\/\d+$/);
    }
    const redisArgs = args(service(redis));
    const pass = redisArgs[redisArgs.indexOf("--requirepass") + 1] ?? "";
    expect(pass).toMatch(/^\$\{REDIS_PASSWORD:\?[^}]+\}$/);
  });

  it("contains no literal secret: every token or password value is interpolated", () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        if (/TOKEN|PASSWORD|AUTH|SECRET/.test(key)) {
          expect(String(value), `${name}.${key}`).toMatch(/^\$\{[A-Z_]+(:[?-][^}]*)?\}$/);
        }
      }
    }
    // No secret-looking assignment anywhere in the text either (e.g. in a command line).
    expect(readRepoFile("docker-compose.yml")).not.toMatch(/(TOKEN|PASSWORD)[:=]\s*[A-Za-z0-9+/]{12,}/);
  });

  it("documents every variable it interpolates in .env.example", () => {
    const example = readRepoFile(".env.example");
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const used = new Set(interpolated(readRepoFile("docker-compose.yml")));
    expect([...used].filter((name) => !documented.has(name))).toEqual([]);
    // The secrets are present in the example, and empty.
    expect(example).toMatch(/^INTERNAL_SERVICE_TOKEN=$/m);
    expect(example).toMatch(/^REDIS_PASSWORD=$/m);
  });

  it("keeps .env out of git", () => {
    expect(readRepoFile(".gitignore").split("\n")).toContain(".env");
  });

  it("runs Redis with AOF, noeviction, a password and a volume", () => {
    const redisArgs = args(service(redis));
    const option = (name: string) => redisArgs[redisArgs.indexOf(name) + 1];
    expect(redisArgs[0]).toBe("redis-server");
    expect(option("--appendonly")).toBe("yes");
    expect(["always", "everysec"]).toContain(option("--appendfsync"));
    expect(option("--maxmemory-policy")).toBe("noeviction");
    expect(redisArgs).toContain("--requirepass");
    const volume = service(redis).volumes?.find((v) => v.endsWith(":/data"));
    expect(volume).toBeDefined();
    expect(compose.volumes).toHaveProperty((volume ?? "").split(":")[0] as string);
  });

  it("runs the API with caudex serve on port 5000 and a health check on /monitoring/health", () => {
    const s = service(api);
    expect(args(s)).toEqual(["serve"]);
    expect(s.ports?.map(String)).toEqual([expect.stringMatching(/:5000$/)]);
    expect(s.healthcheck?.test).toEqual(["CMD", "node", "/app/deploy/healthcheck.mjs"]);
    expect(readRepoFile("deploy/healthcheck.mjs")).toContain('"/monitoring/health"');
    expect(s.depends_on?.redis?.condition).toBe("service_healthy");
  });

  it("lets the worker scale: no container name, no host port, its name from the container", () => {
    const s = service(worker);
    expect(s.container_name).toBeUndefined();
    expect(s.ports).toBeUndefined();
    expect(args(s)[0]).toBe("worker");
    expect(args(s)).not.toContain("--name");
    expect(s.environment).not.toHaveProperty("CAUDEX_WORKER_NAME");
    expect(s.environment).not.toHaveProperty("RQ_WORKER_NAME");
  });

  it("gives the worker more time to stop than its grace period", () => {
    const s = service(worker);
    const grace = gracePeriodSeconds(args(s));
    const stop = durationSeconds(s.stop_grace_period ?? "10s");
    expect(stop).toBeGreaterThanOrEqual(grace + 10);
    expect(stop).toBeLessThanOrEqual(grace + 60);
    expect(s.stop_signal ?? "SIGTERM").toBe("SIGTERM");
  });

  it("restarts every service and builds api and worker from the same image", () => {
    for (const s of Object.values(compose.services)) expect(s.restart).toMatch(/^(unless-stopped|always|on-failure)/);
    expect(service(api).image).toBe(service(worker).image);
    expect(service(api).build).toEqual(service(worker).build);
    expect(service(worker).healthcheck?.disable).toBe(true);
  });
});
