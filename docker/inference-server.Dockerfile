# syntax=docker/dockerfile:1
# The inference server (`inquiry-server`). The operator runs one image for an InquiryPipeline's
# inference pods and their init container `inquiry-pipeline fetch-model` (and for its workflow
# steps), so this image carries both commands; its default is the server.
# Build from the repository root: docker build -f docker/inference-server.Dockerfile -t <image> .
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
# The root filesystem is read-only in the cluster: caches go to the /tmp volume.
ENV NODE_ENV=production HOME=/tmp XDG_CACHE_HOME=/tmp/.cache HOST=0.0.0.0 PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# The server, the pipeline steps its pods run (fetch-model in the init container), lib, the
# CRD schemas read at run time, and the default routing policy (config/routing_rules.yaml).
COPY --from=build /src/dist/inference-server ./dist/inference-server
COPY --from=build /src/dist/pipelines ./dist/pipelines
COPY --from=build /src/dist/lib ./dist/lib
COPY crds/*.yaml ./dist/crds/
COPY config ./config
# The real text `train --out-of-scope builtin` reads in the retrain step, which runs this image
# (dist/pipelines/src/train/real-data.ts looks in dist/data/real), with its licences.
COPY data/real ./dist/data/real
RUN printf '#!/bin/sh\nexec node /app/dist/inference-server/src/main.js "$@"\n' > /usr/local/bin/inquiry-server \
  && printf '#!/bin/sh\nexec node /app/dist/pipelines/src/cli.js "$@"\n' > /usr/local/bin/inquiry-pipeline \
  && chmod 0755 /usr/local/bin/inquiry-server /usr/local/bin/inquiry-pipeline
USER 10001:10001
EXPOSE 8080
CMD ["inquiry-server"]
