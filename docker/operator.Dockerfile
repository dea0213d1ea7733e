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
# One ES module with its packages (`npm run build`: scripts/bundle-operator.ts), so no
# node_modules: ~20 MB less memory than the compiled modules (bench/RESULTS.md). The RoutingPolicy
# schema its validation reads at run time sits at ../../crds from the module.
COPY --from=build /src/dist/bundle/operator ./dist/bundle/operator
COPY crds/*.yaml ./dist/crds/
RUN printf '#!/bin/sh\nexec node /app/dist/bundle/operator/main.mjs "$@"\n' > /usr/local/bin/inquiry-operator \
  && chmod 0755 /usr/local/bin/inquiry-operator
# Numeric, so that runAsNonRoot can verify it; no home directory is written.
USER 10001:10001
EXPOSE 8081
ENTRYPOINT ["inquiry-operator"]
