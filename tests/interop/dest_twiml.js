// dest_twiml.js: the TwiML a destination should answer, built independently with the
// official twilio package's VoiceResponse (the reference for the XML) and an RFC 3261
// header-value encoder written here from the RFC and handoff's two rules on top of it
// (docs/destinations.md): '+' is escaped too, since Twilio reads a '+' in a <Sip>
// header value as a space, and a header whose value is empty is left out.
// Usage: node dest_twiml.js EXPORT.json PARAMS.json -> {name: xml}
const fs = require('fs');
const { twiml } = require('twilio');

const set = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const p = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));

// RFC 3261 25.1: hvalue = *( hnv-unreserved / unreserved / escaped ), less '+'
const keep = /[A-Za-z0-9\-_.!~*'()\[\]\/?:$]/;
function enc(s) {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += b < 0x80 && keep.test(c) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

// the referred headers: the part of ReferTransferTarget after '?', split on & and =
const refer = {};
const t = p.ReferTransferTarget || '';
const q = t.indexOf('?');
if (q >= 0) {
  for (const kv of t.slice(q + 1).replace(/>.*$/, '').split('&')) {
    const i = kv.indexOf('=');
    if (i > 0) refer[kv.slice(0, i).toLowerCase()] = decodeURIComponent(kv.slice(i + 1));
  }
}
const vars = { caller_id: p.From, from: p.From, to: p.To, call_sid: p.CallSid, account_sid: p.AccountSid };

function expand(tmpl) {
  let out = '';
  for (let i = 0; i < tmpl.length; i++) {
    if (tmpl[i] !== '$') { out += enc(tmpl[i]); continue; }
    if (tmpl[i + 1] === '$') { out += '$'; i++; continue; }
    let m = /^refer\.([A-Za-z0-9\-._!*+~']+)/.exec(tmpl.slice(i + 1));
    if (m) { out += enc(refer[m[1].toLowerCase()] || ''); i += m[0].length; continue; }
    m = /^[a-z_]+/.exec(tmpl.slice(i + 1));
    out += enc(vars[m[0]] || '');
    i += m[0].length;
  }
  return out;
}

const result = {};
for (const d of set.destinations) {
  const r = new twiml.VoiceResponse();
  const attrs = { answerOnBridge: true };
  if (d.caller_id) attrs.callerId = d.caller_id;
  if (d.timeout) attrs.timeout = d.timeout;
  const dial = r.dial(attrs);
  if (d.route.startsWith('sip:') || d.route.startsWith('sips:')) {
    const hs = (d.headers || [])
      .map((h) => [h.name, expand(h.value)])
      .filter(([, v]) => v !== '')
      .map(([n, v]) => n + '=' + v);
    dial.sip(d.route + (hs.length ? '?' + hs.join('&') : ''));
  } else {
    dial.number(d.route.replace(/^tel:/, ''));
  }
  result[d.name] = r.toString();
}
process.stdout.write(JSON.stringify(result));
