#!/usr/bin/env bash
# The published packages as a user gets them: build, `npm pack` @catp2p/gob,
# @catp2p/p2p and @catp2p/cli, install the tarballs (and the peer
# dependencies, from the registry) into a new project outside the repository
# (no workspace links), and there, with the Node.js the repository brings:
#   esm         a plain .mjs program starts two nodes on loopback and sends a parcel
#   typescript  the same in TypeScript: tsc --noEmit (strict, skipLibCheck false), then run
#   version     npx catp2p --version
#   demo        npx catp2p demo --nodes 4 --duration 3 --json, its JSON checked
#   old-node    the machine's own Node.js (if older than 22.19) gets one line
#               naming the version needed, from the library and from the command
# Exits non-zero if any check fails.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
system_node="$(command -v node)"

# the repository's Node.js first on the PATH, and nothing else of the repository
repo_node="$(cd "$root" && readlink -f node_modules/.bin/node)"
mkdir -p "$work/bin" "$work/tarballs" "$work/app"
ln -s "$repo_node" "$work/bin/node"
export PATH="$work/bin:$PATH"

passed=0
failed=0
ok() { echo "pack $1: ok${2:+ ($2)}"; passed=$((passed + 1)); }
fail() { echo "pack $1: FAILED"; [ -f "$2" ] && tail -20 "$2" | sed 's/^/  /'; failed=$((failed + 1)); }
finish() { echo "pack: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

if ! (cd "$root" && npm run --silent build && npm pack --silent --pack-destination "$work/tarballs" \
    -w packages/gob -w packages/p2p -w packages/cli) >"$work/pack.log" 2>&1; then
  fail "build and pack" "$work/pack.log"; finish
fi
ok "build and pack" "$(cd "$work/tarballs" && ls | tr '\n' ' ')"

peer() { node -p "require('$root/packages/p2p/package.json').peerDependencies['$1']"; }
dev() { node -p "require('$root/package.json').devDependencies['$1']"; }
cd "$work/app"
cat > package.json <<'JSON'
{ "name": "catp2p-pack-check", "private": true, "type": "module" }
JSON
if ! npm install --no-audit --no-fund "$work"/tarballs/*.tgz "effect@$(peer effect)" \
    "@effect/platform-node@$(peer @effect/platform-node)" "typescript@$(dev typescript)" \
    "@types/node@$(dev @types/node)" >"$work/install.log" 2>&1; then
  fail install "$work/install.log"; finish
fi
links="$(find node_modules/@catp2p -maxdepth 1 -type l)"
if [ -n "$links" ]; then echo "workspace links: $links" >>"$work/install.log"; fail install "$work/install.log"; finish; fi
if ! npm ls --all >"$work/ls.log" 2>&1; then fail "npm ls" "$work/ls.log"; else ok "npm ls"; fi

cp "$root/scripts/pack/two-nodes.mjs" "$root/scripts/pack/two-nodes.ts" .
if timeout 120 node two-nodes.mjs >"$work/esm.log" 2>&1; then ok esm; else fail esm "$work/esm.log"; fi

# lib DOM: effect's own .d.ts name globalThis.Transferable (RpcClient), which
# only the DOM lib declares; without it skipLibCheck: false fails inside effect
cat > tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "target": "ES2023", "lib": ["ES2023", "DOM"], "module": "NodeNext", "moduleResolution": "NodeNext",
    "types": ["node"], "strict": true, "exactOptionalPropertyTypes": true, "skipLibCheck": false,
    "noEmit": true, "verbatimModuleSyntax": true, "erasableSyntaxOnly": true, "allowImportingTsExtensions": true
  },
  "files": ["two-nodes.ts"]
}
JSON
if npx --no -- tsc -p tsconfig.json >"$work/ts.log" 2>&1 && timeout 120 node two-nodes.ts >>"$work/ts.log" 2>&1; then
  ok typescript
else
  fail typescript "$work/ts.log"
fi

want="catp2p v$(node -p "require('$root/packages/cli/package.json').version")"
got="$(timeout 60 npx --no -- catp2p --version 2>"$work/version.log")"
if [ "$got" = "$want" ]; then ok version "$got"; else echo "got: $got, want: $want" >>"$work/version.log"; fail version "$work/version.log"; fi

if timeout 120 npx --no -- catp2p demo --nodes 4 --duration 3 --json >"$work/demo.json" 2>"$work/demo.log" &&
  node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")
    const s = JSON.parse(lines[lines.length - 1])
    if (!(s.nodes === 4 && s.messages > 0 && s.coverage > 0)) { console.error("summary:", lines.join("\n")); process.exit(1) }
    console.log(`${s.messages} messages, coverage ${s.coverage}`)
  ' "$work/demo.json" >"$work/demo.check" 2>>"$work/demo.log"; then
  ok demo "$(cat "$work/demo.check")"
else
  cat "$work/demo.json" >>"$work/demo.log"; fail demo "$work/demo.log"
fi

# the machine's own Node.js, when it is older than the packages need
old="$("$system_node" -p 'const [a, b] = process.versions.node.split(".").map(Number); a < 22 || (a === 22 && b < 19)')"
if [ "$old" = "true" ]; then
  echo 'import "@catp2p/p2p"' >old.mjs
  "$system_node" old.mjs >"$work/old.log" 2>&1; lib=$?
  "$system_node" node_modules/@catp2p/cli/bin/catp2p.js --version >>"$work/old.log" 2>&1; cmd=$?
  if [ "$lib" -ne 0 ] && [ "$cmd" -ne 0 ] && [ "$(wc -l <"$work/old.log")" -eq 2 ] &&
    [ "$(grep -c "needs Node.js 22.19 or newer" "$work/old.log")" -eq 2 ]; then
    ok old-node "$(head -1 "$work/old.log")"
  else
    fail old-node "$work/old.log"
  fi
fi
finish
