// twilio_rest.js: the official twilio package's REST client against `handoff emulator`.
// Usage: node twilio_rest.js BASE ACCOUNT_SID (token in HANDOFF_INTEROP_TOKEN). Prints one JSON
// document of what it saw; the calling script checks it.
"use strict";
const twilio = require("twilio");
const RequestClient = require("twilio/lib/base/RequestClient");

const [base, sid] = process.argv.slice(2);
const token = process.env.HANDOFF_INTEROP_TOKEN;

// The package talks to https://<product>.twilio.com; send those requests to the emulator
// instead (paging links the emulator hands out already point at it).
class EmulatorClient {
  constructor() {
    this.inner = new RequestClient({ timeout: 5000 });
  }
  request(opts) {
    const u = new URL(opts.uri);
    if (u.hostname.endsWith(".twilio.com")) {
      opts = { ...opts, uri: base + u.pathname + u.search };
    }
    return this.inner.request(opts);
  }
}

async function main() {
  const client = twilio(sid, token, { httpClient: new EmulatorClient() });
  const out = {};
  const numbers = await client.incomingPhoneNumbers.list({ pageSize: 2 });
  out.count = numbers.length;
  out.numbers = numbers.map((n) => n.phoneNumber);
  const first = numbers[0];
  const updated = await client
    .incomingPhoneNumbers(first.sid)
    .update({ voiceUrl: "https://interop.example.com/voice", voiceMethod: "GET" });
  out.updated = { voiceUrl: updated.voiceUrl, voiceMethod: updated.voiceMethod };
  const fetched = await client.incomingPhoneNumbers(first.sid).fetch();
  out.fetched = { voiceUrl: fetched.voiceUrl, dateUpdated: fetched.dateUpdated instanceof Date && !isNaN(fetched.dateUpdated) };
  const filtered = await client.incomingPhoneNumbers.list({ phoneNumber: numbers[1].phoneNumber });
  out.filtered = filtered.map((n) => n.phoneNumber);
  try {
    await client.incomingPhoneNumbers(first.sid).update({ voiceUrl: "not a url" });
    out.badUrl = "accepted";
  } catch (e) {
    out.badUrl = { code: e.code, status: e.status };
  }
  const trunk = await client.trunking.v1.trunks.create({ friendlyName: "interop" });
  const t2 = await client.trunking.v1.trunks(trunk.sid).update({ transferMode: "sip-only", transferCallerId: "from-transferor" });
  out.trunk = { transferMode: t2.transferMode, transferCallerId: t2.transferCallerId, dateCreated: t2.dateCreated instanceof Date && !isNaN(t2.dateCreated) };
  await client.trunking.v1.trunks.create({ friendlyName: "interop2" });
  out.trunks = (await client.trunking.v1.trunks.list({ pageSize: 1 })).length;
  const bad = twilio(sid, "wrong-token-xyz", { httpClient: new EmulatorClient() });
  try {
    await bad.incomingPhoneNumbers.list({ limit: 1 });
    out.badAuth = "accepted";
  } catch (e) {
    out.badAuth = { code: e.code, status: e.status };
  }
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error("interop failed:", e && e.message);
  process.exit(1);
});
