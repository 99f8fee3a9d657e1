# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with the full toolchain.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY schemas schemas
COPY core core
COPY timeindex timeindex
COPY resolver resolver
COPY service service
COPY ingest ingest
COPY cli cli
COPY loadtest loadtest
COPY scripts scripts
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies and the compiled tree only, as an unprivileged user.
# The container expects REDIS_URL (compose provides Redis); it does not embed one.
FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY bin bin
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The service handles SIGTERM itself: requests in flight finish, then it exits.
ENTRYPOINT ["node", "bin/whohad.js"]
CMD ["serve"]
