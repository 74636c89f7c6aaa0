# syntax=docker/dockerfile:1
# Build stage: dev dependencies and the TypeScript compiler.
# Node.js 26, the Active LTS line, pinned to one release so that builds are repeatable; on Debian 13
# trixie, the Node image project's default since July 2026 (bookworm left regular support in June 2026).
FROM node:26.10.0-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies and the compiled code only, as the unprivileged node user.
FROM node:26.10.0-trixie-slim
LABEL org.opencontainers.image.title="radar-netflows" \
      org.opencontainers.image.description="Keeps an InfluxDB copy of Cloudflare Radar's NetFlows traffic distributions" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="docker.io/library/node:26.10.0-trixie-slim"
ENV NODE_ENV=production STATE_DIR=/data HTTP_LISTEN=0.0.0.0:9464
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json jobs.yaml ./
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 9464
# /healthz where HTTP_LISTEN says the service listens (src/cli/healthcheck.ts).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "dist/cli/healthcheck.js"]
ENTRYPOINT ["node", "--max-semi-space-size=4", "dist/cli/main.js"]
CMD ["run", "--config", "/app/jobs.yaml"]
