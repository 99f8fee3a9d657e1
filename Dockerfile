# syntax=docker/dockerfile:1
# whohad: the HTTP service (and the CLI) in a small image. Three stages: production
# dependencies, the compiled tree, and the runtime image that gets only those two.
# Lint: `npm run lint:container` (scripts/lint-container.mjs).

# Production dependencies only (no TypeScript, vitest, autocannon, tsx).
FROM node:20.20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Build: the full toolchain compiles TypeScript to dist/ and copies the Lua scripts beside it.
FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# .dockerignore keeps node_modules, dist, data, tests and the git history out of the context
COPY . .
RUN npm run build

# Runtime: production dependencies and the compiled tree, as the unprivileged user `node`.
# The container expects REDIS_URL or REDIS_CLUSTER_NODES (compose.yaml provides Redis); it does
# not embed one. tini is PID 1: it forwards SIGTERM to node, which finishes the requests in
# flight and exits, and it reaps the worker processes of `serve --workers N`.
FROM node:20.20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 WHOHAD_DATA_DIR=/app/data
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules node_modules
COPY --from=build --chown=root:root /app/dist dist
COPY --chown=root:root package.json ./
COPY --chown=root:root bin bin
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--max-semi-space-size=32", "bin/whohad.js"]
CMD ["serve"]
