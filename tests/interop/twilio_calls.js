// twilio_calls.js: the official twilio package's REST client changes live calls on
// `handoff emulator`: new TwiML, a new Url (fetched from a small app on loopback, checked with
// validateRequest), a hang-up, a canceled ringing call, a deleted record, and Twilio's errors
// (RestException code and status) for what Twilio refuses.
// Usage: node twilio_calls.js EMULATOR_BASE ACCOUNT_SID (token in HANDOFF_INTEROP_TOKEN).
// Prints one JSON document of what it saw; the calling script checks it.
"use strict";
const http = require("http");
const twilio = require("twilio");
const RequestClient = require("twilio/lib/base/RequestClient");

const [emu, sid] = process.argv.slice(2);
const token = process.env.HANDOFF_INTEROP_TOKEN;

// Only the base URL changes: requests for https://<product>.twilio.com go to the emulator.
class EmulatorClient {
  constructor() {
    this.inner = new RequestClient({ timeout: 10000 });
  }
  request(opts) {
    const u = new URL(opts.uri);
    if (u.hostname.endsWith(".twilio.com")) opts = { ...opts, uri: emu + u.pathname + u.search };
    return this.inner.request(opts);
  }
}

const stream = (name) =>
  `<Response><Connect><Stream url="wss://agent.example.com/${name}" name="${name}"/></Connect></Response>`;

// the app: /next keeps the call on a stream; /never must never be fetched
const hooks = [];
let app = "";
const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    const url = `${app}${req.url}`;
    const path = req.url.split("?")[0];
    const params = req.method === "POST" ? Object.fromEntries(new URLSearchParams(body)) : {};
    const sig = req.headers["x-twilio-signature"] || "";
    hooks.push({
      path,
      method: req.method,
      valid: twilio.validateRequest(token, sig, url, params),
      callSid: params.CallSid || null,
      status: params.CallStatus || null,
    });
    if (path === "/status") {
      res.writeHead(204);
      return res.end();
    }
    res.writeHead(200, { "Content-Type": "text/xml" });
    res.end(path === "/next" ? stream("next") : "<Response><Say>unexpected</Say></Response>");
  });
});

async function control(method, path, form) {
  const r = await fetch(emu + path, {
    method,
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  return r.json();
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// waits, bounded, until the call has one of the statuses
async function until(client, callSid, statuses) {
  let c;
  for (let i = 0; i < 200; i++) {
    c = await client.calls(callSid).fetch();
    if (statuses.includes(c.status)) return c;
    await sleep(25);
  }
  return c;
}

async function rest(fn) {
  try {
    const r = await fn();
    return { accepted: r === true ? true : r.status || true };
  } catch (e) {
    return { code: e.code, status: e.status };
  }
}

const streamsOf = async (callSid) =>
  (await control("GET", `/emulator/calls/${callSid}/events`))
    .filter((e) => e.kind === "stream")
    .map((e) => e.text.replace(/MZ[0-9a-f]{32} /, ""));

async function main() {
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  app = `http://127.0.0.1:${server.address().port}`;
  const client = twilio(sid, token, { httpClient: new EmulatorClient() });
  const out = { app };

  // 1. a live call on an AI agent's stream
  const call = await client.calls.create({ to: "+14155550111", from: "+14155550199", twiml: stream("first") });
  out.created = call.status;
  out.live = (await until(client, call.sid, ["in-progress"])).status;

  // 2. new TwiML on the live call
  const u1 = await client.calls(call.sid).update({ twiml: stream("second") });
  out.twimlUpdate = { status: u1.status, sid: u1.sid === call.sid };
  // 3. a new Url: the app is asked, with the call's parameters, signed
  const u2 = await client.calls(call.sid).update({ url: `${app}/next`, method: "POST" });
  out.urlUpdate = u2.status;
  out.streams = await streamsOf(call.sid);
  out.connected = (await control("GET", `/emulator/calls/${call.sid}`)).connected;
  // 4. errors while it is live
  out.cancelLive = await rest(() => client.calls(call.sid).update({ status: "canceled" }));
  out.removeLive = await rest(() => client.calls(call.sid).remove());
  out.badUrl = await rest(() => client.calls(call.sid).update({ url: "not a url" }));
  out.badStatus = await rest(() => client.calls(call.sid).update({ status: "paused" }));
  // 5. hang up
  const hung = await client.calls(call.sid).update({ status: "completed" });
  out.hungUp = { status: hung.status, duration: typeof hung.duration, endTime: hung.endTime instanceof Date };
  // 6. what Twilio refuses once it has ended
  out.twimlAfter = await rest(() => client.calls(call.sid).update({ twiml: stream("late") }));
  out.urlAfter = await rest(() => client.calls(call.sid).update({ url: `${app}/never` }));
  out.removed = await rest(() => client.calls(call.sid).remove());
  out.fetchRemoved = await rest(() => client.calls(call.sid).fetch());
  out.fetchUnknown = await rest(() => client.calls("CA00000000000000000000000000000000").fetch());
  out.badTo = await rest(() => client.calls.create({ to: "12", from: "+14155550199", url: `${app}/never` }));

  // 7. a ringing call (its party rings 3 s) is canceled; its Url never runs
  await control("POST", "/emulator/parties", { Address: "+14155550112", Answer: "answer", AfterMs: "3000" });
  const ring = await client.calls.create({
    to: "+14155550112",
    from: "+14155550199",
    url: `${app}/never`,
    statusCallback: `${app}/status`,
    statusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
  });
  out.ringing = (await until(client, ring.sid, ["ringing"])).status;
  const canceled = await client.calls(ring.sid).update({ status: "canceled" });
  out.canceled = canceled.status;
  out.cancelAgain = await rest(() => client.calls(ring.sid).update({ status: "canceled" }));
  out.ringCallbacks = hooks.filter((h) => h.path === "/status" && h.callSid === ring.sid).map((h) => h.status);

  // 8. a busy party: the call ends busy, no TwiML fetched
  await control("POST", "/emulator/parties", { Address: "+14155550113", Answer: "busy" });
  const busy = await client.calls.create({ to: "+14155550113", from: "+14155550199", url: `${app}/never` });
  out.busy = (await until(client, busy.sid, ["busy"])).status;

  out.hooks = hooks;
  server.close();
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e.stack || String(e));
  server.close();
  process.exit(1);
});
