#!/usr/bin/env bash
# runseal mcp driven by the official MCP TypeScript SDK client
# (@modelcontextprotocol/sdk, installed into tests/mcp by scripts/install-deps).
source "$(dirname "$0")/../lib/common.sh"
sdk="$RUNSEAL_SRC/tests/mcp"
[ -d "$sdk/node_modules/@modelcontextprotocol/sdk" ] ||
  fail "MCP SDK missing: run scripts/install-deps (it runs npm ci in tests/mcp)"
expect_status 0 rs init
mkdir -p "$T/policies"
echo '{"limits": {"wall_time_ms": 500}}' > "$T/policies/fast.json"
node "$sdk/sdk_client.mjs" "$RUNSEAL_BIN" "$RUNSEAL_HOME" "$T/policies" || fail "SDK client"
ok
rs identity export -o "$T/trust.pem"
expect_status 0 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem"
done_ok
