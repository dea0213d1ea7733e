#!/usr/bin/env bash
# `npm run demo`: the platform's closed loop on a fresh test bed with a node, for a person to
# watch, then left running to look at with kubectl. It runs the same steps as the platform test
# (test/integration/platform.test.ts): helm install, a RoutingPolicy and an InquiryPipeline
# applied, a first model serving from pods, ingest and classify as Argo Workflows, reviewed
# traffic, a retrain Workflow that registers a better model, its canary (the leader operator pod
# deleted mid-step) and promotion, a bad model rolled back; each step printed with its time.
# Needs root (the node); the first run builds the test bed into ~/.cache (see docs/testbed.md).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "npm run demo needs root: the test bed's node runs containerd and kubelet" >&2
  exit 1
fi
# A fresh test bed: an earlier demo's cluster goes.
npm run -s testbed -- down
npm run -s testbed -- up > /dev/null
TESTBED_ATTACH=1 PLATFORM_KEEP=1 scripts/with-node.sh node --experimental-vm-modules \
  node_modules/jest/bin/jest.js --runTestsByPath test/integration/platform.test.ts --verbose
cat >&2 <<'HINTS'

The platform is still running. Look at it:
  eval "$(npm run -s testbed -- env)"
  kubectl -n inquiry-system get pods,lease
  kubectl -n support get inquirypipelines,modelversions,cronworkflows,workflows,deployments,pods
  kubectl -n support describe modelversion      # status, conditions and Events of each rollout
  kubectl -n support get events --sort-by=.lastTimestamp
Stop it with: npm run testbed -- down
HINTS
