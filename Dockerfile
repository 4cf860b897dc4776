# syntax=docker/dockerfile:1
# The Caudex image: `caudex serve` by default; `caudex worker ...` with other arguments.
# Two stages: the first compiles TypeScript and the native better-sqlite3 module with the
# build tools; the second gets only production dependencies, dist/ and the health check.
# Both stages use the same Debian base, so the native module built in one runs in the other.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles from source when no prebuilt binary matches: it needs these.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first, in their own layer: a source change does not reinstall them.
# --ignore-scripts skips the package's own "prepare" (a build, before the sources are here);
# the rebuild then runs better-sqlite3's native install alone.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && chmod +x dist/cli/main.js

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    CAUDEX_DB=/data/caudex.db \
    PORT=5000
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY deploy/healthcheck.mjs ./deploy/healthcheck.mjs
# `caudex` on the PATH, so `docker compose exec api caudex stats` works as on a server.
# /data holds the SQLite file (unused with REDIS_URL) and belongs to the unprivileged user.
RUN ln -s /app/dist/cli/main.js /usr/local/bin/caudex \
 && mkdir -p /data \
 && chown node:node /data
VOLUME ["/data"]
# The image's built-in unprivileged user (uid 1000).
USER node
EXPOSE 5000
# GET /monitoring/health answers 200 for ok and degraded, 503 when the store is down. Workers
# serve no HTTP: docker-compose.yml disables this check for them.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/app/deploy/healthcheck.mjs"]
# caudex handles SIGTERM itself (the API closes, a worker finishes or hands back its jobs).
STOPSIGNAL SIGTERM
ENTRYPOINT ["caudex"]
CMD ["serve"]
