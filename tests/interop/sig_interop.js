// sig_interop.js: random URLs and parameters signed and checked both ways between
// `handoff sig` and the official twilio package. Prints PASS/FAIL lines.
// Usage: node sig_interop.js HANDOFF CASES SEED
"use strict";
const { execFileSync, spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const twilio = require("twilio");

const [handoff, casesArg, seedArg] = process.argv.slice(2);
const CASES = Number(casesArg || 100);
let seed = Number(seedArg || 1) >>> 0;
function rnd(n) { // xorshift32: a reproducible run for a given seed
	seed ^= seed << 13; seed >>>= 0;
	seed ^= seed >>> 17;
	seed ^= seed << 5; seed >>>= 0;
	return seed % n;
}
function pick(a) { return a[rnd(a.length)]; }
function word(chars, min, max) {
	let s = "";
	const n = min + rnd(max - min + 1);
	for (let i = 0; i < n; i++) s += pick(chars);
	return s;
}
const ALNUM = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"];
const VALUE = [...ALNUM, "+", " ", "'", "\"", "&", "=", "%", "<", ">", "/", ":", "@", "é", "€", "\n", ";", ",", "-", "_", "."];
const QCHARS = [...ALNUM, "'", "%27", "+", "%20", "~", "!", "*", "(", ")", ",", ";", ":", "@", "/", "é", "%2B", "-", "."];
const NAMES = ["CallSid", "Caller", "From", "To", "AccountSid", "ReferTransferTarget", "Digits", "SipHeader_X-Foo", "a", "A", "Sid", "SidAccount", "b.c", "x y"];

function randomUrl() {
	const scheme = pick(["https", "http"]);
	const host = pick(["example.com", "Example.COM", "agent.example.org", "127.0.0.1", "h-" + word(ALNUM, 1, 8).toLowerCase() + ".test"]);
	const port = pick(["", "", ":443", ":80", ":8443", ":1234"]);
	const cred = rnd(10) === 0 ? "user:pass@" : "";
	let p = "/" + pick(["refer", "voice", "sandbox/refer", "a/b/c", word(ALNUM, 1, 10)]);
	let q = "";
	const nq = rnd(4);
	for (let i = 0; i < nq; i++)
		q += (i ? "&" : "?") + word(ALNUM, 1, 5) + "=" + word(QCHARS, 0, 6);
	return scheme + "://" + cred + host + port + p + q;
}
function randomParams() {
	const params = {};
	const n = rnd(8);
	for (let i = 0; i < n; i++) {
		const name = rnd(3) ? pick(NAMES) : word(ALNUM, 1, 12);
		const value = word(VALUE, 0, 20);
		if (name in params && rnd(2)) {
			params[name] = [].concat(params[name], value);
		} else params[name] = value;
	}
	return params;
}
function pairs(params) {
	const out = [];
	for (const k of Object.keys(params))
		for (const v of [].concat(params[k])) out.push(k + "=" + v);
	return out;
}

const token = "tok-" + word(ALNUM, 16, 32);
const env = { ...process.env, TWILIO_AUTH_TOKEN: token, TWILIO_AUTH_TOKEN_SECONDARY: "" };
let pass = 0, fail = 0;
function check(ok, desc, detail) {
	if (ok) pass++;
	else { fail++; console.log("FAIL " + desc + (detail ? "\n  " + detail : "")); }
}
function ours(args) {
	const r = spawnSync(handoff, ["sig", ...args], { env, encoding: "utf8" });
	return { status: r.status, out: (r.stdout || "").trim(), err: r.stderr || "" };
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sig-interop-"));

for (let i = 0; i < CASES; i++) {
	const url = randomUrl();
	const params = randomParams();
	const desc = `case ${i} url=${JSON.stringify(url)} params=${JSON.stringify(params)}`;

	// they sign the URL as given; we verify
	const theirs = twilio.getExpectedTwilioSignature(token, url, params);
	let r = ours(["verify", "--url", url, "--signature", theirs, ...pairs(params)]);
	check(r.status === 0, "we verify theirs: " + desc, r.err);

	// we sign; they verify (validateRequest), and so do we
	r = ours(["sign", "--url", url, ...pairs(params)]);
	check(r.status === 0 && r.out === theirs, "same signature: " + desc, r.out + " vs " + theirs);
	check(twilio.validateRequest(token, r.out, url, params), "they verify ours: " + desc);

	// the request arrives at a variant of the signed URL (port added/removed, normalised)
	const variants = [];
	const m = /^(https?:\/\/)([^/]*?)(:\d+)?(\/.*)$/.exec(url);
	if (m) {
		variants.push(m[1] + m[2] + m[4]);
		if (!m[3]) variants.push(m[1] + m[2] + (m[1] === "https://" ? ":443" : ":80") + m[4]);
	}
	for (const signedUrl of variants) {
		const s = twilio.getExpectedTwilioSignature(token, signedUrl, params);
		const theyAccept = twilio.validateRequest(token, s, url, params);
		r = ours(["verify", "--url", url, "--signature", s, ...pairs(params)]);
		check((r.status === 0) === theyAccept, `variant ${signedUrl} agreement (they: ${theyAccept}): ` + desc, r.err);
	}
	// Twilio signed the URL as new URL() prints it (vector 9's case); the
	// request line kept the raw characters
	try {
		const norm = new URL(url).toString();
		const s = twilio.getExpectedTwilioSignature(token, norm, params);
		const theyAccept = twilio.validateRequest(token, s, url, params);
		r = ours(["verify", "--url", url, "--signature", s, ...pairs(params)]);
		check((r.status === 0) === theyAccept, `normalised agreement (they: ${theyAccept}): ` + desc, r.err);
	} catch (e) { /* not a URL node accepts */ }

	// negatives: another token, a changed param, an extra query parameter
	const bad = twilio.getExpectedTwilioSignature(token + "x", url, params);
	r = ours(["verify", "--url", url, "--signature", bad, ...pairs(params)]);
	check(r.status === 1 && !r.err.includes(token), "we refuse another token's: " + desc, r.err);
	const extra = url + (url.includes("?") ? "&" : "?") + "somethingUnexpected=true";
	r = ours(["verify", "--url", extra, "--signature", theirs, ...pairs(params)]);
	check(r.status === 1, "we refuse an extra query parameter: " + desc);
	check(!twilio.validateRequest(token, theirs, extra, params), "they refuse it too: " + desc);

	// JSON bodies through bodySHA256, every fifth case
	if (i % 5 === 0) {
		const body = JSON.stringify({ CallSid: "CA" + word(ALNUM, 32, 32), n: i, s: word(VALUE, 0, 10) });
		const f = path.join(tmp, "body.json");
		fs.writeFileSync(f, body);
		r = ours(["sign", "--json", "--url", url, "--body", f]);
		const signed = r.status === 0 ? JSON.parse(r.out) : {};
		check(r.status === 0 && twilio.validateRequestWithBody(token, signed.signature, signed.url, body),
			"they verify our body signature: " + desc, r.err);
		const s2 = twilio.getExpectedTwilioSignature(token, signed.url || url, {});
		r = ours(["verify", "--url", signed.url || url, "--signature", s2, "--body", f]);
		check(r.status === 0, "we verify their body signature: " + desc, r.err);
		fs.writeFileSync(f, body + " ");
		r = ours(["verify", "--url", signed.url || url, "--signature", s2, "--body", f]);
		check(r.status === 1, "we refuse a changed body: " + desc);
	}
}
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
