// deploy/kubernetes: secrets only through secretKeyRef, probes on public endpoints the app
// really serves, the worker's name from its pod, and a termination grace period that covers
// the worker's own grace period.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestServer, type TestServer } from "../support/server.js";
import { gracePeriodSeconds, readYaml, readYamlDocuments, ROOT } from "./deploy-files.js";

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: EnvVar[];
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  securityContext?: { allowPrivilegeEscalation?: boolean };
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    template?: {
      metadata: { labels: Record<string, string> };
      spec: { terminationGracePeriodSeconds?: number; securityContext?: { runAsNonRoot?: boolean }; containers: Container[] };
    };
    ports?: Array<{ port: number; targetPort: string | number }>;
    minAvailable?: number;
    maxUnavailable?: number;
  };
  stringData?: Record<string, string>;
  resources?: string[];
}

const DIR = "deploy/kubernetes";
const files = readdirSync(join(ROOT, DIR)).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
const manifests = files.flatMap((f) => readYamlDocuments<Manifest>(`${DIR}/${f}`).map((m) => ({ file: f, ...m })));

function find(kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (found === undefined) throw new Error(`${kind}/${name} missing from ${DIR}`);
  return found;
}

function container(deployment: Manifest): Container {
  const first = deployment.spec?.template?.spec.containers[0];
  if (first === undefined) throw new Error(`${deployment.metadata.name} has no container`);
  return first;
}

function env(c: Container, name: string): EnvVar | undefined {
  return c.env?.find((e) => e.name === name);
}

const api = find("Deployment", "caudex-api");
const worker = find("Deployment", "caudex-worker");

describe("Kubernetes manifests", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it("has the two Deployments, a Service, a PodDisruptionBudget and a Secret template", () => {
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual(
      expect.arrayContaining(["Deployment/caudex-api", "Deployment/caudex-worker", "Service/caudex-api", "Secret/caudex"]),
    );
    expect(manifests.some((m) => m.kind === "PodDisruptionBudget")).toBe(true);
  });

  it("reads the token and the Redis URL only from the Secret", () => {
    for (const deployment of [api, worker]) {
      for (const variable of container(deployment).env ?? []) {
        if (/TOKEN|REDIS_URL|PASSWORD|SECRET/.test(variable.name)) {
          expect(variable.value, `${deployment.metadata.name} ${variable.name}`).toBeUndefined();
          expect(variable.valueFrom?.secretKeyRef?.name).toBe("caudex");
          expect(variable.valueFrom?.secretKeyRef?.key).toBe(variable.name);
        }
      }
    }
    expect(env(container(api), "INTERNAL_SERVICE_TOKEN")?.valueFrom?.secretKeyRef?.name).toBe("caudex");
    expect(env(container(worker), "REDIS_URL")?.valueFrom?.secretKeyRef?.name).toBe("caudex");
  });

  it("lists every manifest but the Secret template in the kustomization", () => {
    const kustomization = readYaml<Manifest>(`${DIR}/kustomization.yaml`);
    expect([...(kustomization.resources ?? [])].sort()).toEqual(files.filter((f) => f !== "secret.example.yaml").sort());
  });

  it("ships a Secret template holding placeholders, never a real secret", () => {
    const secret = find("Secret", "caudex");
    const keys = Object.keys(secret.stringData ?? {});
    expect(keys).toEqual(expect.arrayContaining(["INTERNAL_SERVICE_TOKEN", "REDIS_URL"]));
    for (const value of Object.values(secret.stringData ?? {})) expect(value).toMatch(/^<REPLACE/);
  });

  it("probes the API on a public route that the app registers and answers without a token", async () => {
    const c = container(api);
    const port = c.ports?.find((p) => p.containerPort === 5000);
    expect(port?.name).toBeDefined();
    for (const probe of [c.readinessProbe, c.livenessProbe]) {
      expect(probe?.httpGet?.port).toBe(port?.name);
      const path = probe?.httpGet?.path ?? "";
      expect(server.app.hasRoute({ method: "GET", url: path })).toBe(true);
      const reply = await server.app.inject({ method: "GET", url: path });
      expect(reply.statusCode).toBe(200);
    }
    // The same server refuses a token-protected route: the probe really is the public one.
    expect((await server.app.inject({ method: "GET", url: "/monitoring/queue/stats" })).statusCode).toBe(401);
  });

  it("runs caudex serve in the API and caudex worker in the worker, from the same image", () => {
    expect(container(api).args).toEqual(["serve"]);
    expect(container(worker).args?.[0]).toBe("worker");
    expect(container(api).image).toBe(container(worker).image);
  });

  it("names each worker after its pod (downward API)", () => {
    expect(env(container(worker), "CAUDEX_WORKER_NAME")?.valueFrom?.fieldRef?.fieldPath).toBe("metadata.name");
    expect(container(worker).args).not.toContain("--name");
  });

  it("gives a stopping worker more time than its grace period, so a rollout loses no job", () => {
    const grace = gracePeriodSeconds(container(worker).args ?? []);
    const termination = worker.spec?.template?.spec.terminationGracePeriodSeconds ?? 30;
    expect(termination).toBeGreaterThanOrEqual(grace + 10);
  });

  it("selects the right pods in the Service and the PodDisruptionBudgets", () => {
    const podLabels = (d: Manifest) => d.spec?.template?.metadata.labels ?? {};
    const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    const service = find("Service", "caudex-api");
    const selector = (service.spec?.selector ?? {}) as Record<string, string>;
    expect(matches(selector, podLabels(api))).toBe(true);
    expect(matches(selector, podLabels(worker))).toBe(false);
    expect(service.spec?.ports?.[0]?.targetPort).toBe(container(api).ports?.[0]?.name);
    const budgets = manifests.filter((m) => m.kind === "PodDisruptionBudget");
    for (const deployment of [api, worker]) {
      expect(budgets.some((b) => matches(b.spec?.selector?.matchLabels ?? {}, podLabels(deployment))), deployment.metadata.name).toBe(true);
    }
  });

  it("runs as a non-root user without privilege escalation", () => {
    for (const deployment of [api, worker]) {
      expect(deployment.spec?.template?.spec.securityContext?.runAsNonRoot).toBe(true);
      expect(container(deployment).securityContext?.allowPrivilegeEscalation).toBe(false);
    }
  });
});
