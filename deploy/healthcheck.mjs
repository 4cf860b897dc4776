#!/usr/bin/env node
// Container health check of `caudex serve`: GET /monitoring/health on this machine's port and
// exit 0 on 200 (ok or degraded), 1 otherwise. Written for Node because the slim runtime image
// has no curl or wget; it reads the same PORT and HOST the server does.
import { request } from "node:http";

// Docker's default HEALTHCHECK timeout is 30 s; answering well before it keeps a hung server
// from being reported healthy by a check that simply never finished.
const TIMEOUT_MS = 4000;
const port = Number(process.env.PORT ?? "5000");
// A server bound to every interface is asked on loopback; one bound to an address, there.
const bound = process.env.HOST ?? "";
const host = bound === "" || bound === "0.0.0.0" || bound === "::" ? "127.0.0.1" : bound;

const req = request({ host, port, path: "/monitoring/health", method: "GET", timeout: TIMEOUT_MS }, (res) => {
  let body = "";
  res.setEncoding("utf8");
  res.on("data", (chunk) => (body += chunk));
  res.on("end", () => {
    const healthy = res.statusCode === 200;
    if (!healthy) process.stderr.write(`caudex health check: HTTP ${res.statusCode} ${body}\n`);
    process.exit(healthy ? 0 : 1);
  });
});
req.on("timeout", () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
req.on("error", (error) => {
  process.stderr.write(`caudex health check: http://${host}:${port}/monitoring/health: ${error.message}\n`);
  process.exit(1);
});
req.end();
