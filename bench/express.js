// express.js: the same job in Node with the official twilio package: check
// X-Twilio-Signature with validateRequest, answer VoiceResponse TwiML.
// Usage: node express.js PORT TOKEN
"use strict";
const express = require("express");
const twilio = require("twilio");
const [port, token] = process.argv.slice(2);
const routes = { billing: "sip:billing@pbx.example.com" };
const app = express();
app.use(express.urlencoded({ extended: false }));
app.post("/refer", (req, res) => {
	const url = "http://127.0.0.1:" + port + req.originalUrl;
	if (!twilio.validateRequest(token, req.get("X-Twilio-Signature") || "", url, req.body)) {
		return res.status(403).send("forbidden");
	}
	const m = /^<?(?:sips?|tel):([^@;?>]*)/i.exec(req.body.ReferTransferTarget || "");
	const route = m && routes[m[1].toLowerCase()];
	if (!route) return res.status(404).send("no such destination");
	const vr = new twilio.twiml.VoiceResponse();
	const dial = vr.dial({ answerOnBridge: true });
	dial.sip(route + "?X-Caller=" + encodeURIComponent(req.body.From || "") +
		"&X-Call=" + encodeURIComponent(req.body.CallSid || ""));
	res.type("text/xml").send(vr.toString());
});
app.listen(Number(port), "127.0.0.1");
