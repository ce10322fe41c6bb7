# syntax=docker/dockerfile:1
# The one image every generated service runs: `slop serve` reads /etc/slop/service.json
# (the ConfigMap written by expand()). Multi-stage: build with dev dependencies, ship the
# compiled dist/ with production dependencies only. Runs as uid 10001 and writes only under
# /tmp (mount an emptyDir there when readOnlyRootFilesystem is on). Not built in CI. Node 24 LTS:
# Node 20 reached its end of life in April 2026.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts are skipped here: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# Generates proto/gen (proto-loader-gen-types) and compiles to dist/.
# The Pulumi SDKs are dependencies of the deploy program, not of the runtime: drop them, and what only
# they need (TypeScript, npm's own libraries), from the image.
RUN npm run build \
 && node -e 'const f="package.json",p=require("./"+f);for(const d in p.dependencies)if(d.startsWith("@pulumi/"))delete p.dependencies[d];require("fs").writeFileSync(f,JSON.stringify(p,null,2))' \
 && npm prune --omit=dev --ignore-scripts

FROM node:24-slim
ENV NODE_ENV=production \
    SLOP_CONFIG=/etc/slop/service.json \
    SLOP_DATA_DIR=/tmp/slop
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# The runtime loads the .proto files at start-up (found by walking up from dist/runtime).
COPY --from=build /app/proto/slop ./proto/slop
COPY --from=build /app/proto/grpc ./proto/grpc
USER 10001:10001
EXPOSE 50051 9464
STOPSIGNAL SIGTERM
# The Deployment passes `serve`; a load-generator Job passes `load ...` to the same image.
ENTRYPOINT ["node", "bin/slop.js"]
CMD ["serve"]
