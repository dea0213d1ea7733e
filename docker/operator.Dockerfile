# syntax=docker/dockerfile:1
# The operator (`inquiry-operator`): reconciles InquiryPipelines, ModelVersions, RoutingPolicies.
# Build from the repository root: docker build -f docker/operator.Dockerfile -t <image> .
# (scripts/build-images.sh builds all three images.)
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# Only what the operator loads: its code, the shared domain it imports (lib, with the routing
# policy validation), and the RoutingPolicy schema that validation reads at run time.
COPY --from=build /src/dist/operator ./dist/operator
COPY --from=build /src/dist/lib ./dist/lib
COPY crds/*.yaml ./dist/crds/
RUN printf '#!/bin/sh\nexec node /app/dist/operator/src/main.js "$@"\n' > /usr/local/bin/inquiry-operator \
  && chmod 0755 /usr/local/bin/inquiry-operator
# Numeric, so that runAsNonRoot can verify it; no home directory is written.
USER 10001:10001
EXPOSE 8081
ENTRYPOINT ["inquiry-operator"]
