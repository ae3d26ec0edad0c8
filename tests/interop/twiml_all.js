// twiml_all.js: builds TwiML with the official twilio package's VoiceResponse (every verb
// and noun it can build, with attributes) and writes one document per case into a directory.
// usage: node twiml_all.js OUTDIR   (prints the number of documents written)
"use strict";
const fs = require("fs");
const path = require("path");
const VoiceResponse = require("twilio").twiml.VoiceResponse;

const out = process.argv[2];
if (!out) {
	console.error("usage: node twiml_all.js OUTDIR");
	process.exit(2);
}
fs.mkdirSync(out, { recursive: true });
const cases = {};
const add = (name, build) => {
	const r = new VoiceResponse();
	build(r);
	cases[name] = r.toString();
};
const SID = (p) => p + "0123456789abcdef0123456789abcdef";

add("say", (r) => r.say({ voice: "Polly.Joanna", language: "en-US", loop: 2 }, "Hello & <welcome>"));
add("say_ssml", (r) => {
	const s = r.say({ voice: "Polly.Matthew" }, "Hi");
	s.break({ strength: "x-weak", time: "100ms" });
	s.emphasis({ level: "strong" }, "really");
	s.lang({ "xml:lang": "fr-FR" }, "bonjour");
	s.p("A paragraph.");
	s.phoneme({ alphabet: "x-sampa", ph: "pI'kA:n" }, "pecan");
	s.prosody({ pitch: "-10%", rate: "85%", volume: "-6dB" }, "softly");
	s.s("A sentence.");
	s.sayAs({ "interpret-as": "date", format: "ymd" }, "2024-01-02");
	s.sub({ alias: "World Wide Web" }, "WWW");
	s.w({ role: "amazon:VBD" }, "read");
	s.addText(" and more text");
	const p = s.p();
	p.s("nested").emphasis({ level: "reduced" }, "inside");
	s.prosody({ rate: "slow" }).w({ role: "amazon:NN" }).sayAs({ "interpret-as": "digits" }, "123");
});
add("play", (r) => {
	r.play({ loop: 3 }, "https://api.twilio.com/cowbell.mp3");
	r.play({ digits: "wwww3" });
});
add("pause", (r) => r.pause({ length: 5 }));
add("gather", (r) => {
	const g = r.gather({
		input: ["speech", "dtmf"], action: "/gather", method: "GET", timeout: 3, numDigits: 4,
		finishOnKey: "*", speechTimeout: "auto", maxSpeechTime: 30, profanityFilter: false,
		partialResultCallback: "https://example.com/partial", partialResultCallbackMethod: "POST",
		language: "en-GB", hints: "yes, no", bargeIn: false, debug: true, actionOnEmptyResult: true,
		speechModel: "phone_call", enhanced: true,
	});
	g.say("Say something");
	g.play("https://example.com/a.mp3");
	g.pause({ length: 1 });
});
add("record", (r) => r.record({
	action: "/rec", method: "POST", timeout: 10, finishOnKey: "#", maxLength: 30, playBeep: true,
	trim: "do-not-trim", recordingStatusCallback: "/rs", recordingStatusCallbackMethod: "GET",
	recordingStatusCallbackEvent: ["in-progress", "completed", "absent"], transcribe: true,
	transcribeCallback: "/tc", recordingConfigurationId: "cfg-1",
}));
add("dial_attrs", (r) => r.dial({
	action: "/dial", method: "POST", timeout: 20, hangupOnStar: true, timeLimit: 600,
	callerId: "+14155550100", record: "record-from-answer", trim: "trim-silence",
	recordingStatusCallback: "/rs", recordingStatusCallbackMethod: "POST",
	recordingStatusCallbackEvent: ["in-progress", "completed"], recordingTrack: "both",
	recordingConfigurationId: "cfg", answerOnBridge: true, ringTone: "us-old", referUrl: "/refer",
	referMethod: "GET", sequential: false, events: "call-progress-event", passports: "abc,def",
}, "+14155550123"));
add("dial_number", (r) => r.dial().number({
	sendDigits: "wW123#", url: "/screen", method: "GET", statusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
	statusCallback: "/sc", statusCallbackMethod: "POST", byoc: SID("BY"), machineDetection: "DetectMessageEnd",
	machineDetectionTimeout: 10, machineDetectionSpeechThreshold: 2400, machineDetectionSpeechEndThreshold: 1200,
	machineDetectionSilenceTimeout: 5000, amdStatusCallback: "/amd", amdStatusCallbackMethod: "GET",
}, "+14155550100"));
add("dial_sip", (r) => r.dial({ answerOnBridge: true, referUrl: "https://example.com/handler" }).sip({
	username: "u", password: "p", url: "/screen", method: "POST", statusCallbackEvent: ["initiated", "completed"],
	statusCallback: "/sc", statusCallbackMethod: "GET", machineDetection: "Enable", machineDetectionTimeout: 30,
	machineDetectionSpeechThreshold: 2400, machineDetectionSpeechEndThreshold: 1200, machineDetectionSilenceTimeout: 5000,
	amdStatusCallback: "/amd", amdStatusCallbackMethod: "POST",
}, "sip:AgentA@xyz.sip.us1.twilio.com?User-to-User=123456789%3Bencoding%3Dhex&X-Name=Agent%2C+A"));
add("dial_sip_uri_headers", (r) => {
	const s = r.dial().sip();
	s.uri({ priority: "1", weight: "10", username: "u", password: "p" }, "sip:a@pbx1.example.com");
	s.uri({ priority: "2", weight: "1" }, "sips:a@pbx2.example.com;transport=tls");
	const h = s.headers();
	h.header({ name: "X-Case", value: "42" });
	h.header({ name: "User-to-User", value: "abc;encoding=hex" });
});
// Sip.headers() beside a URI given as text: the values are written as they are ('+' stays)
add("dial_sip_text_headers", (r) => {
	const h = r.dial({ answerOnBridge: true }).sip("sip:billing@pbx.example.com").headers();
	h.header({ name: "X-Caller", value: "+14155550100" });
	h.header({ name: "X-Note", value: "a & b < c" });
});
// Sip.uri() failover: priorities, and weights among equal priorities
add("dial_sip_uri_failover", (r) => {
	const s = r.dial({ action: "/after-dial" }).sip({ statusCallback: "/sc" });
	s.uri({ priority: "1" }, "sip:billing@pbx1.example.com?X-Caller=%2B14155550100");
	s.uri({ priority: "2", weight: "3", username: "desk", password: "pw" }, "sip:billing@pbx2.example.com");
	s.uri({ priority: "2", weight: "1" }, "sips:billing@pbx3.example.com;transport=tls");
	s.headers().header({ name: "X-Reason", value: "upsell" });
});
add("dial_client", (r) => {
	const d = r.dial();
	const c = d.client({ url: "/screen", method: "GET", statusCallbackEvent: ["ringing", "answered"], statusCallback: "/sc", statusCallbackMethod: "POST" });
	c.identity("user_jane");
	c.parameter({ name: "FirstName", value: "Jane" });
	d.client("tommy");
});
add("dial_conference", (r) => r.dial().conference({
	muted: false, beep: "onExit", startConferenceOnEnter: true, endConferenceOnExit: false, waitUrl: "/wait",
	waitMethod: "GET", maxParticipants: 10, record: "record-from-start", region: "de1", coach: SID("CA"),
	trim: "do-not-trim", statusCallbackEvent: ["start", "end", "join", "leave", "mute", "hold", "modify", "speaker", "announcement"],
	statusCallback: "/sc", statusCallbackMethod: "POST", recordingStatusCallback: "/rs",
	recordingStatusCallbackMethod: "GET", recordingStatusCallbackEvent: ["completed", "absent"],
	eventCallbackUrl: "/ev", jitterBufferSize: "medium", participantLabel: "agent", recordingConfigurationId: "cfg",
}, "Room 1234"));
add("dial_queue", (r) => r.dial().queue({ url: "/q", method: "GET", reservationSid: SID("WR"), postWorkActivitySid: SID("WA") }, "support"));
add("dial_sim", (r) => r.dial().sim(SID("DE")));
add("dial_application", (r) => {
	const a = r.dial().application({ url: "/a", method: "POST", statusCallbackEvent: ["completed"], statusCallback: "/sc", statusCallbackMethod: "GET", customerId: "c1", copyParentTo: true });
	a.applicationSid(SID("AP"));
	a.parameter({ name: "k", value: "v" });
});
add("dial_whatsapp", (r) => r.dial({ callerId: "whatsapp:+14155550100" }).whatsApp({ url: "/w", method: "POST", statusCallbackEvent: ["answered"], statusCallback: "/sc", statusCallbackMethod: "GET" }, "+14155550123"));
add("hangup", (r) => r.hangup().parameter({ name: "Reason", value: "done" }));
add("reject", (r) => r.reject({ reason: "busy" }).parameter({ name: "a", value: "b" }));
add("redirect", (r) => r.redirect({ method: "GET" }, "https://example.com/next?a=1&b=2"));
add("enqueue", (r) => {
	r.enqueue({ action: "/left", method: "GET", waitUrl: "/wait", waitUrlMethod: "POST", maxQueueSize: 50 }, "support");
	r.enqueue({ workflowSid: SID("WW") }).task({ priority: 5, timeout: 200 }, JSON.stringify({ lang: "es" }));
});
add("leave", (r) => r.leave());
add("refer", (r) => r.refer({ action: "/refer-done", method: "POST" }).sip("sip:alice@example.com?X-Reason=upsell"));
add("connect_stream", (r) => r.connect({ action: "/c", method: "GET" }).stream({
	url: "wss://example.com/s", name: "s1", track: "both_tracks", statusCallback: "/sc", statusCallbackMethod: "POST",
	connectorName: "conn", audioFormat: "audio/x-mulaw", sampleRate: "8000",
}).parameter({ name: "p", value: "v" }));
add("connect_room", (r) => r.connect().room({ participantIdentity: "alice" }, "DailyStandup"));
add("connect_virtual_agent", (r) => {
	const v = r.connect().virtualAgent({ connectorName: "project", language: "en-US", sentimentAnalysis: true, statusCallback: "/va", statusCallbackMethod: "GET" });
	v.config({ name: "voiceName", value: "en-US-Wavenet-C" });
	v.parameter({ name: "customer", value: "Bob" });
});
add("connect_conversation", (r) => r.connect().conversation({
	serviceInstanceSid: SID("IS"), inboundAutocreation: true, routingAssignmentTimeout: 20, inboundTimeout: 30,
	url: "/conv", method: "POST", record: "record-from-answer", trim: "trim-silence", recordingStatusCallback: "/rs",
	recordingStatusCallbackMethod: "GET", recordingStatusCallbackEvent: ["in-progress", "completed"],
	statusCallback: "/sc", statusCallbackMethod: "POST", statusCallbackEvent: ["call-initiated", "call-ringing", "call-answered", "call-completed"],
}));
add("connect_relay", (r) => {
	const c = r.connect().conversationRelay({
		url: "wss://example.com/relay", language: "en-US", ttsLanguage: "en-US", transcriptionLanguage: "en-US",
		ttsProvider: "ElevenLabs", voice: "voice-1", transcriptionProvider: "Deepgram", speechModel: "nova-2",
		profanityFilter: true, dtmfDetection: true, welcomeGreeting: "Hi there, how can I help?", partialPrompts: true,
		welcomeGreetingInterruptible: "any", interruptible: "speech", preemptible: false, hints: "a,b",
		intelligenceService: "GA123", reportInputDuringAgentSpeech: true, elevenlabsTextNormalization: "on",
		interruptSensitivity: "high", debug: "debugging", events: "e", backgroundnoisereduction: "on",
		deepgramsmartformat: "true", ignorebackchannel: "true", speechtimeout: "1000",
	});
	c.language({ code: "es-ES", ttsProvider: "Google", voice: "es-ES-Neural2-A", transcriptionProvider: "Google", speechModel: "telephony" });
	c.parameter({ name: "k", value: "v" });
});
add("connect_ai", (r) => {
	r.connect().aiSession({ aiConnector: "c1", aiSessionConfiguration: "s1" });
	r.connect().conversationRelaySession({ connector: "c2", sessionConfiguration: "s2" });
	r.connect().autopilot("UA0123");
});
add("start", (r) => {
	const s = r.start({ action: "/started", method: "POST" });
	s.stream({ url: "wss://example.com/a", track: "inbound_track" });
	s.siprec({ name: "rec", connectorName: "SipRec1", track: "both_tracks", statusCallback: "/sc", statusCallbackMethod: "GET" }).parameter({ name: "a", value: "b" });
	const t = s.transcription({
		name: "t", track: "both_tracks", statusCallbackUrl: "/t", statusCallbackMethod: "POST", inboundTrackLabel: "caller",
		outboundTrackLabel: "agent", languageCode: "en-US", transcriptionEngine: "google", speechModel: "telephony",
		partialResults: true, profanityFilter: false, enableAutomaticPunctuation: true, hints: "x", intelligenceService: "GA1",
	});
	t.config({ name: "k", value: "v" });
	t.parameter({ name: "p", value: "q" });
	s.recording({ recordingStatusCallback: "/rs", recordingStatusCallbackMethod: "GET", recordingStatusCallbackEvent: ["in-progress", "completed", "absent"], trim: "do-not-trim", track: "inbound", channels: "mono", recordingConfigurationId: "cfg" });
});
add("stop", (r) => {
	const s = r.stop();
	s.stream({ name: "s1" });
	s.siprec({ name: "rec" });
	s.transcription({ name: "t" });
});
add("pay", (r) => {
	const p = r.pay({
		input: "dtmf", action: "/paid", bankAccountType: "consumer-savings", statusCallback: "/ps", statusCallbackMethod: "GET",
		timeout: 10, maxAttempts: 2, securityCode: true, postalCode: "true", minPostalCodeLength: 5,
		paymentConnector: "Stripe", paymentMethod: "credit-card", tokenType: "reusable", chargeAmount: "10.00",
		currency: "usd", description: "Order 42", validCardTypes: ["visa", "amex"], language: "en-US",
	});
	const pr = p.prompt({ for: "payment-card-number", errorType: ["timeout", "invalid-card-number"], cardType: ["visa"], attempt: [1, 2], requireMatchingInputs: false });
	pr.say("Enter your card number");
	pr.play("https://example.com/p.mp3");
	pr.pause({ length: 1 });
	p.parameter({ name: "order", value: "42" });
});
add("top_level_legacy", (r) => {
	r.prompt({ for: "security-code" }).say("code");
	r.queue({ url: "/q" }, "support");
	r.echo();
	r.sms({ to: "+14155550100", from: "+14155550101", action: "/sms", method: "POST", statusCallback: "/s" }, "Hello");
});
// a negative control: values Twilio refuses, built with the same library
add("negative_control", (r) => {
	r.dial({ timeout: 3, answerOnBridge: "yes" }).number("+0123");
	r.reject({ reason: "nope" });
});

for (const [name, xml] of Object.entries(cases))
	fs.writeFileSync(path.join(out, name + ".xml"), xml);
console.log(Object.keys(cases).length);
