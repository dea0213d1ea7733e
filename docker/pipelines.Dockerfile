# syntax=docker/dockerfile:1
# The pipeline steps (`inquiry-pipeline <step>`) that Argo Workflows runs: ingest,
# classify-batch, train, evaluate, register, fetch-model, … The steps share the model runtime,
# the store and the routing engine with the inference server, so its code is in here too.
# Build from the repository root: docker build -f docker/pipelines.Dockerfile -t <image> .
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production HOME=/tmp XDG_CACHE_HOME=/tmp/.cache
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist/pipelines ./dist/pipelines
COPY --from=build /src/dist/inference-server ./dist/inference-server
COPY --from=build /src/dist/lib ./dist/lib
COPY crds/*.yaml ./dist/crds/
COPY config ./config
# The real text `train --out-of-scope builtin` reads (dist/pipelines/src/train/real-data.ts looks
# in dist/data/real), with its licences and attribution.
COPY data/real ./dist/data/real
RUN printf '#!/bin/sh\nexec node /app/dist/pipelines/src/cli.js "$@"\n' > /usr/local/bin/inquiry-pipeline \
  && printf '#!/bin/sh\nexec node /app/dist/inference-server/src/main.js "$@"\n' > /usr/local/bin/inquiry-server \
  && chmod 0755 /usr/local/bin/inquiry-pipeline /usr/local/bin/inquiry-server
USER 10001:10001
ENTRYPOINT ["inquiry-pipeline"]
CMD ["--help"]
