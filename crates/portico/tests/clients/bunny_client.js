// Drives a running Portico with Bunny's published Node client (@bunnyapp/api-client), unmodified,
// as a vendor moving from Bunny would: only the base URL and the OAuth client change. Prints one
// JSON document of what the client returned, for the Rust test that runs this script to check.
//
// Usage: node bunny_client.js BASE_URL CLIENT_ID CLIENT_SECRET TENANT_CODE RETURN_URL
"use strict";

const Bunny = require("@bunnyapp/api-client");
const { version } = require("@bunnyapp/api-client/package.json");

async function main() {
  const [base, clientId, clientSecret, tenant, returnUrl] = process.argv.slice(2);
  const bunny = new Bunny({
    baseUrl: base,
    clientId,
    clientSecret,
    scope: "security:read security:write",
  });
  const out = { version };
  out.with_return_url = await bunny.portalSessionCreate(tenant, returnUrl, 12);
  out.without_return_url = await bunny.portalSessionCreate(tenant);
  try {
    await bunny.portalSessionCreate("no-such-tenant");
    out.unknown_tenant = null;
  } catch (e) {
    out.unknown_tenant = e instanceof Error ? e.message : `not an Error: ${e}`;
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e) => {
  process.stderr.write(`bunny_client.js failed: ${e instanceof Error ? e.stack : e}\n`);
  process.exit(1);
});
