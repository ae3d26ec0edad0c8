// emulator_hooks.js: a small app for `handoff emulator`, checking every webhook it receives with
// the official twilio package's validateRequest, and driving the emulator with the package's
// REST client (numbers created, listed, updated; an outbound call created).
// Usage: node emulator_hooks.js EMULATOR_BASE ACCOUNT_SID (token in HANDOFF_INTEROP_TOKEN).
// Prints one JSON document: every request the app received and what the client saw.
"use strict";
const http = require("http");
const twilio = require("twilio");
const RequestClient = require("twilio/lib/base/RequestClient");

const [emu, sid] = process.argv.slice(2);
const token = process.env.HANDOFF_INTEROP_TOKEN;

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

const hooks = [];
let app = "";

function twiml(path, method) {
  const cb = (leg) =>
    `statusCallback="${app}/status?leg=${leg}" statusCallbackEvent="initiated ringing answered completed"`;
  switch (path) {
    case "/voice":
      return `<Response><Dial answerOnBridge="true" referUrl="${app}/refer?from=${method}" referMethod="${method}" action="${app}/action?dial=agent" method="${method}"><Sip ${cb("agent")}>sip:agent@pbx.example.com</Sip></Dial></Response>`;
    case "/refer":
      return `<Response><Dial action="${app}/action?dial=target"><Sip ${cb("target")}>sip:billing@pbx.example.com?X-Reason=interop</Sip></Dial></Response>`;
    case "/action":
      return `<Response><Say>bye</Say><Hangup/></Response>`;
    case "/outbound":
      return `<Response><Say>hello from the app</Say><Pause length="1"/><Hangup/></Response>`;
    default:
      return null;
  }
}

const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    const url = `${app}${req.url}`;
    const path = req.url.split("?")[0];
    const params = req.method === "POST" ? Object.fromEntries(new URLSearchParams(body)) : {};
    const sig = req.headers["x-twilio-signature"] || "";
    const valid = twilio.validateRequest(token, sig, url, params);
    // the control: the same request under another token must not validate
    const validOtherToken = twilio.validateRequest(token + "x", sig, url, params);
    const q = Object.fromEntries(new URL(url).searchParams);
    hooks.push({
      query: q,
      method: req.method,
      path,
      valid,
      validOtherToken,
      signed: sig !== "",
      callSid: params.CallSid || q.CallSid || null,
      status: params.CallStatus || q.CallStatus || null,
      event: params.StatusCallbackEvent || q.StatusCallbackEvent || null,
      dialStatus: params.DialCallStatus || q.DialCallStatus || null,
      target: params.ReferTransferTarget || q.ReferTransferTarget || null,
    });
    const doc = twiml(path, req.method);
    if (path === "/status" || doc === null) {
      res.writeHead(path === "/status" ? 204 : 404);
      return res.end();
    }
    res.writeHead(200, { "Content-Type": "text/xml" });
    res.end(doc);
  });
});

async function control(method, path, form) {
  const r = await fetch(emu + path, {
    method,
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  return { status: r.status, json: await r.json() };
}

const legSid = (call, label) => call.legs.find((l) => l.label === label).sid;

async function main() {
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  app = `http://127.0.0.1:${server.address().port}`;
  const client = twilio(sid, token, { httpClient: new EmulatorClient() });
  const out = { app };

  // numbers: created, listed, updated by the package
  const post = await client.incomingPhoneNumbers.create({ phoneNumber: "+14155550199", voiceUrl: "https://placeholder.example.com/x" });
  const get = await client.incomingPhoneNumbers.create({ phoneNumber: "+14155550198", voiceUrl: `${app}/voice`, voiceMethod: "GET" });
  const upd = await client.incomingPhoneNumbers(post.sid).update({ voiceUrl: `${app}/voice`, voiceMethod: "POST" });
  out.updated = upd.voiceUrl === `${app}/voice` && upd.voiceMethod === "POST";
  out.listed = (await client.incomingPhoneNumbers.list({ pageSize: 1 })).map((n) => n.phoneNumber).sort();
  out.getNumber = get.voiceMethod;

  // 1. POST number: REFER answered by the target, then the target hangs up (its Dial action)
  let c = await control("POST", "/emulator/calls", { From: "+14155550100", To: "+14155550199" });
  const p1 = c.json.sid;
  let r = await control("POST", `/emulator/calls/${legSid(c.json, "A")}/refer`, { ReferTo: "<sip:billing@agent.example.com>", Target: "answer", "SipHeader_X-Trace": "t1" });
  out.refer1 = { sip: r.json.sip_response, notify: r.json.notify, connected: r.json.connected };
  r = await control("POST", `/emulator/calls/${legSid(r.json, "B")}/hangup`);
  out.after1 = r.json.legs.map((l) => `${l.label}=${l.status}`);

  // 2. GET number: a busy target, the caller back with the agent, then the agent hangs up
  c = await control("POST", "/emulator/calls", { From: "+14155550100", To: "+14155550198" });
  r = await control("POST", `/emulator/calls/${legSid(c.json, "A")}/refer`, { ReferTo: "<sip:billing@agent.example.com?X-Reason=busy>", Target: "busy" });
  out.refer2 = { sip: r.json.sip_response, notify: r.json.notify, connected: r.json.connected };
  r = await control("POST", `/emulator/calls/${legSid(c.json, "A")}/hangup`);
  out.after2 = r.json.legs.map((l) => `${l.label}=${l.status}`);

  // 3. an outbound call created with the package's REST client
  const call = await client.calls.create({
    to: "+14155550111",
    from: "+14155550199",
    url: `${app}/outbound`,
    statusCallback: `${app}/status?leg=api`,
    statusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
  });
  out.created = { sid: call.sid, direction: call.direction, status: call.status };
  // it runs after the create answer (as on Twilio): wait, bounded, for its end
  for (let i = 0; i < 100 && (await client.calls(call.sid).fetch()).status !== "completed"; i++)
    await new Promise((ok) => setTimeout(ok, 50));
  const ev = await control("GET", `/emulator/calls/${call.sid}/events`);
  out.createdEvents = ev.json.filter((e) => e.kind === "webhook").map((e) => e.text);
  out.createdFetched = (await client.calls(call.sid).fetch()).status;
  out.callsListed = (await client.calls.list({ pageSize: 50 })).length;
  out.p1 = p1;

  out.hooks = hooks;
  server.close();
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e.stack || String(e));
  server.close();
  process.exit(1);
});
