#!/usr/bin/env bash
# Runs a command with Node.js >= 22 first on PATH. The machine's node is used when it is new
# enough; otherwise Node 24 LTS is taken from the npm registry (package node-linux-<arch>) and
# cached outside the repository, so an old system Node never runs the platform.
set -euo pipefail

NODE_VERSION=24.21.0
cache_root="${INQUIRY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/inquiry-platform}"
node_home="$cache_root/node-v$NODE_VERSION"

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 22 ]; then
  if [ ! -x "$node_home/bin/node" ]; then
    case "$(uname -m)" in
      x86_64) arch=x64 ;;
      aarch64 | arm64) arch=arm64 ;;
      *) echo "with-node: no Node.js >= 22 found and no node-linux package for $(uname -m); install Node 24 and retry" >&2; exit 1 ;;
    esac
    echo "with-node: Node $(node --version 2>/dev/null || echo '(none)') is older than 22; fetching Node $NODE_VERSION (npm package node-linux-$arch) into $node_home" >&2
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$NODE_VERSION" >/dev/null)
    mkdir -p "$tmp/unpacked"
    tar xzf "$tmp"/node-linux-*.tgz -C "$tmp/unpacked" --strip-components=1
    mkdir -p "$cache_root"
    rm -rf "$node_home"
    mv "$tmp/unpacked" "$node_home"
  fi
  export PATH="$node_home/bin:$PATH"
fi
exec "$@"
