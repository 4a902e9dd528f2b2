// Drives node-vault's token calls against VAULT_ADDR with CLIENT_TOKEN (a login's token) and
// ROOT_TOKEN, printing what each call answered as one JSON object.
const nodeVault = require('node-vault');

const endpoint = process.env.VAULT_ADDR;
const client = nodeVault({ endpoint, token: process.env.CLIENT_TOKEN });
const root = nodeVault({ endpoint, token: process.env.ROOT_TOKEN });

async function attempt(call) {
  try {
    return { ok: true, answer: await call() };
  } catch (e) {
    return { ok: false, status: e.response && e.response.statusCode, message: e.message };
  }
}

async function main() {
  const out = {};
  out.lookup = await attempt(() => client.tokenLookupSelf());
  out.renewSelf = await attempt(() => client.tokenRenewSelf({ increment: '1h' }));
  out.renewByRoot = await attempt(() => root.tokenRenew({ token: process.env.CLIENT_TOKEN }));
  out.revokeSelf = await attempt(() => client.tokenRevokeSelf());
  out.lookupAfterRevoke = await attempt(() => client.tokenLookupSelf());
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
