/* schema: the table of TwiML voice verbs, nouns, SSML tags and their attributes (Twilio docs,
 * helper libraries). */
#include "twiml/schema.h"

#include <string.h>
#include <strings.h>

/* Attribute rows. The last field is the code Twilio reports for a bad value;
 * 12200 (schema warning) where Twilio has no more specific one. */
#define STR(n, max)                                                                                \
	{                                                                                          \
		n, TWIML_T_STRING, NULL, 0, max, NULL, 12200                                       \
	}
#define TOK(n)                                                                                     \
	{                                                                                          \
		n, TWIML_T_TOKEN, NULL, 0, 0, NULL, 12200                                          \
	}
#define URL(n)                                                                                     \
	{                                                                                          \
		n, TWIML_T_URL, NULL, 0, 0, NULL, 12200                                            \
	}
#define WSURL(n)                                                                                   \
	{                                                                                          \
		n, TWIML_T_WSURL, NULL, 0, 0, NULL, 12200                                          \
	}
#define METH(n, c)                                                                                 \
	{                                                                                          \
		n, TWIML_T_METHOD, NULL, 0, 0, "POST", c                                           \
	}
#define BOOL(n, d, c)                                                                              \
	{                                                                                          \
		n, TWIML_T_BOOL, NULL, 0, 0, d, c                                                  \
	}
#define INT(n, lo, hi, d, c)                                                                       \
	{                                                                                          \
		n, TWIML_T_INT, NULL, lo, hi, d, c                                                 \
	}
#define ENUM(n, v, d, c)                                                                           \
	{                                                                                          \
		n, TWIML_T_ENUM, v, 0, 0, d, c                                                     \
	}
#define LIST(n, v, d, c)                                                                           \
	{                                                                                          \
		n, TWIML_T_ENUMLIST, v, 0, 0, d, c                                                 \
	}
#define SID(n, prefix)                                                                             \
	{                                                                                          \
		n, TWIML_T_SID, prefix, 0, 0, NULL, 12200                                          \
	}
#define ATTRS(a) a, sizeof(a) / sizeof(a[0])
#define NOATTRS  NULL, 0

#define CALL_EVENTS "initiated ringing answered completed"
#define REC_EVENTS  "in-progress completed absent"
#define TRIM        "trim-silence do-not-trim"
#define TRACKS      "inbound_track outbound_track both_tracks"
#define DIAL_RECORD                                                                                \
	"do-not-record record-from-answer record-from-ringing record-from-answer-dual "            \
	"record-from-ringing-dual true false"
#define RING_TONES                                                                                 \
	"at au bg br be ch cl cn cz de dk ee es fi fr gr hu il in it lt jp mx my nl no nz ph pl "  \
	"pt ru se sg th uk us us-old tw ve za"
#define REGIONS        "us1 us2 ie1 sg1 br1 au1 jp1 de1"
#define CARD_TYPES     "visa mastercard amex maestro discover optima jcb diners-club enroute"
#define SSML_INLINE    "break emphasis lang phoneme prosody say-as sub w"
#define SSML_ALL       "break emphasis lang p phoneme prosody s say-as sub w"
#define SSML_PARENTS   "Say emphasis lang p prosody s"
#define SSML_W_PARENTS "Say emphasis lang p prosody s"
#define PARAM_PARENTS                                                                              \
	"Application Client ConversationRelay Hangup Pay Reject Siprec Stream Transcription "      \
	"VirtualAgent"

/* Text rows: what an element's text may be. */
static const struct twiml_attr_schema text_any = STR("#text", 0);
static const struct twiml_attr_schema text_url = URL("#text");
static const struct twiml_attr_schema text_dial = {"#text", TWIML_T_PHONE, NULL, 0, 0, NULL, 13223};
/* min = 1: the element needs its text. */
static const struct twiml_attr_schema text_number = {
    "#text", TWIML_T_PHONE, NULL, 1, 0, NULL, 13223,
};
static const struct twiml_attr_schema text_redirect = {
    "#text", TWIML_T_URL, NULL, 1, 0, NULL, 12200,
};
/* A <Sip> URI must be shorter than 255 characters (D-SIP), its headers part
 * (after ?) aside: that has its own limit of 1024 (21227). */
static const struct twiml_attr_schema text_sip = {
    "#text", TWIML_T_SIPURI, NULL, 1, TWIML_SIP_URI_MAX, NULL, 13243,
};
/* <Sip>'s text may be left out when <Uri> children give the URIs: validate.c's
 * rule_sip_uri_source asks for one or the other. */
static const struct twiml_attr_schema text_sip_noun = {
    "#text", TWIML_T_SIPURI, NULL, 0, TWIML_SIP_URI_MAX, NULL, 13243,
};
static const struct twiml_attr_schema text_identity = STR("#text", 256);
static const struct twiml_attr_schema text_token = TOK("#text");

static const struct twiml_attr_schema a_say[] = {
    TOK("voice"),
    INT("loop", 0, 1000, "1", 12200),
    TOK("language"),
};
static const struct twiml_attr_schema a_play[] = {
    INT("loop", 0, 1000, "1", 12200),
    {"digits", TWIML_T_DIGITS, NULL, 0, 0, NULL, 12200},
};
static const struct twiml_attr_schema a_pause[] = {
    INT("length", 0, 3600, "1", 12200),
};
static const struct twiml_attr_schema a_gather[] = {
    LIST("input", "dtmf speech", "dtmf", 12200),
    URL("action"),
    METH("method", 12200),
    INT("timeout", 0, 600, "5", 12200),
    TOK("speechTimeout"),
    INT("maxSpeechTime", 1, 60, "60", 12200),
    BOOL("profanityFilter", "true", 12200),
    {"finishOnKey", TWIML_T_DIGITS, NULL, 0, 1, "#", 12200},
    INT("numDigits", 1, 1000, NULL, 12200),
    URL("partialResultCallback"),
    METH("partialResultCallbackMethod", 12200),
    TOK("language"),
    STR("hints", 0),
    BOOL("bargeIn", "true", 12200),
    BOOL("debug", "false", 12200),
    BOOL("actionOnEmptyResult", "false", 12200),
    TOK("speechModel"),
    BOOL("enhanced", "false", 12200),
};
static const struct twiml_attr_schema a_record[] = {
    URL("action"),
    METH("method", 12200),
    INT("timeout", 0, 3600, "5", 12200),
    {"finishOnKey", TWIML_T_DIGITS, NULL, 0, 0, "1234567890*#", 12200},
    INT("maxLength", 1, 14400, "3600", 12200),
    BOOL("playBeep", "true", 12200),
    ENUM("trim", TRIM, "trim-silence", 12200),
    URL("recordingStatusCallback"),
    METH("recordingStatusCallbackMethod", 12200),
    LIST("recordingStatusCallbackEvent", REC_EVENTS, "completed", 12200),
    TOK("recordingConfigurationId"),
    BOOL("transcribe", "false", 12200),
    URL("transcribeCallback"),
};
/* <Dial>: codes 13210-13220 (method, ifMachine, timeout, hangupOnStar,
 * callerId, nested element, timeLimit, record, sequential, answerOnBridge, ringTone). */
static const struct twiml_attr_schema a_dial[] = {
    URL("action"),
    METH("method", 13210),
    INT("timeout", 5, 600, "30", 13212),
    BOOL("hangupOnStar", "false", 13213),
    INT("timeLimit", 1, 86400, "14400", 13216),
    {"callerId", TWIML_T_TOKEN, NULL, 0, 255, NULL, 13214},
    ENUM("record", DIAL_RECORD, "do-not-record", 13217),
    ENUM("trim", TRIM, "do-not-trim", 12200),
    {"recordingStatusCallback", TWIML_T_URL, NULL, 0, 0, NULL, 13256},
    METH("recordingStatusCallbackMethod", 12200),
    LIST("recordingStatusCallbackEvent", REC_EVENTS, "completed", 12200),
    ENUM("recordingTrack", "both inbound outbound", "both", 12200),
    TOK("recordingConfigurationId"),
    BOOL("answerOnBridge", "false", 13219),
    ENUM("ringTone", RING_TONES, NULL, 13220),
    URL("referUrl"),
    METH("referMethod", 12200),
    BOOL("sequential", "false", 13218),
    STR("callReason", 50),
    ENUM("ifMachine", "Continue Hangup", NULL, 13211),
    LIST("events", "call-progress-event", NULL, 12200),
    STR("passports", 0),
};
#define AMD_ATTRS                                                                                  \
	ENUM("machineDetection", "Enable DetectMessageEnd", NULL, 12200),                          \
	    INT("machineDetectionTimeout", 3, 60, "30", 12200),                                    \
	    INT("machineDetectionSpeechThreshold", 1000, 6000, "2400", 12200),                     \
	    INT("machineDetectionSpeechEndThreshold", 500, 5000, "1200", 12200),                   \
	    INT("machineDetectionSilenceTimeout", 2000, 10000, "5000", 12200),                     \
	    URL("amdStatusCallback"), METH("amdStatusCallbackMethod", 12200)
static const struct twiml_attr_schema a_number[] = {
    {"sendDigits", TWIML_T_DIGITS, NULL, 0, 0, NULL, 13222},
    URL("url"),
    METH("method", 13221),
    STR("byoc", 0),
    LIST("statusCallbackEvent", CALL_EVENTS, "completed", 12200),
    URL("statusCallback"),
    METH("statusCallbackMethod", 12200),
    AMD_ATTRS,
};
/* <Sip>: 13241 method, 13249 username/password. */
static const struct twiml_attr_schema a_sip[] = {
    {"username", TWIML_T_STRING, NULL, 0, 255, NULL, 13249},
    {"password", TWIML_T_STRING, NULL, 0, 255, NULL, 13249},
    URL("url"),
    METH("method", 13241),
    LIST("statusCallbackEvent", CALL_EVENTS, NULL, 12200),
    URL("statusCallback"),
    METH("statusCallbackMethod", 12200),
    AMD_ATTRS,
};
static const struct twiml_attr_schema a_sip_uri[] = {
    INT("priority", 0, 65535, NULL, 12200),
    INT("weight", 0, 65535, NULL, 12200),
    {"username", TWIML_T_STRING, NULL, 0, 255, NULL, 13249},
    {"password", TWIML_T_STRING, NULL, 0, 255, NULL, 13249},
};
static const struct twiml_attr_schema a_name_value[] = {
    STR("name", 0),
    STR("value", 0),
};
static const struct twiml_attr_schema a_client[] = {
    URL("url"),
    METH("method", 12200),
    LIST("statusCallbackEvent", CALL_EVENTS, NULL, 12200),
    URL("statusCallback"),
    METH("statusCallbackMethod", 12200),
};
static const struct twiml_attr_schema a_conference[] = {
    BOOL("muted", "false", 12200),
    ENUM("beep", "true false onEnter onExit", "true", 12200),
    BOOL("startConferenceOnEnter", "true", 12200),
    BOOL("endConferenceOnExit", "false", 12200),
    URL("waitUrl"),
    METH("waitMethod", 12200),
    INT("maxParticipants", 2, 250, "250", 12200),
    ENUM("record", "do-not-record record-from-start", "do-not-record", 12200),
    TOK("recordingConfigurationId"),
    ENUM("region", REGIONS, NULL, 12200),
    SID("coach", "CA"),
    ENUM("trim", TRIM, "trim-silence", 12200),
    LIST("statusCallbackEvent", "start end join leave mute hold modify speaker announcement", NULL,
         12200),
    URL("statusCallback"),
    METH("statusCallbackMethod", 12200),
    URL("recordingStatusCallback"),
    METH("recordingStatusCallbackMethod", 12200),
    LIST("recordingStatusCallbackEvent", REC_EVENTS, "completed", 12200),
    URL("eventCallbackUrl"),
    ENUM("jitterBufferSize", "large medium small off", "large", 12200),
    STR("participantLabel", 0),
};
static const struct twiml_attr_schema a_queue[] = {
    URL("url"),
    METH("method", 12200),
    SID("reservationSid", "WR"),
    SID("postWorkActivitySid", "WA"),
};
static const struct twiml_attr_schema a_application[] = {
    URL("url"),
    METH("method", 12200),
    LIST("statusCallbackEvent", CALL_EVENTS, NULL, 12200),
    URL("statusCallback"),
    METH("statusCallbackMethod", 12200),
    STR("customerId", 0),
    BOOL("copyParentTo", "false", 12200),
};
static const struct twiml_attr_schema a_whatsapp[] = {
    URL("url"),
    METH("method", 12200),
    LIST("statusCallbackEvent", CALL_EVENTS, NULL, 12200),
    URL("statusCallback"),
    METH("statusCallbackMethod", 12200),
};
static const struct twiml_attr_schema a_reject[] = {
    ENUM("reason", "rejected busy", "rejected", 13810),
};
static const struct twiml_attr_schema a_redirect[] = {
    METH("method", 12200),
};
static const struct twiml_attr_schema a_enqueue[] = {
    URL("action"),
    METH("method", 12200),
    URL("waitUrl"),
    METH("waitUrlMethod", 12200),
    INT("maxQueueSize", 1, 5000, "100", 12200),
    SID("workflowSid", "WW"),
};
static const struct twiml_attr_schema a_task[] = {
    INT("priority", 0, 2147483647, NULL, 12200),
    INT("timeout", 1, 2147483647, NULL, 12200),
};
static const struct twiml_attr_schema a_action_method[] = {
    URL("action"),
    METH("method", 12200),
};
static const struct twiml_attr_schema a_room[] = {
    STR("participantIdentity", 0),
};
static const struct twiml_attr_schema a_stream[] = {
    WSURL("url"),
    STR("name", 0),
    ENUM("track", TRACKS, "inbound_track", 12200),
    URL("statusCallback"),
    METH("statusCallbackMethod", 12200),
    STR("connectorName", 0),
    TOK("audioFormat"),
    TOK("sampleRate"),
};
static const struct twiml_attr_schema a_siprec[] = {
    STR("name", 0),
    STR("connectorName", 0),
    ENUM("track", TRACKS, "inbound_track", 12200),
    URL("statusCallback"),
    METH("statusCallbackMethod", 12200),
};
static const struct twiml_attr_schema a_transcription[] = {
    STR("name", 0),
    ENUM("track", TRACKS, "both_tracks", 12200),
    URL("statusCallbackUrl"),
    METH("statusCallbackMethod", 12200),
    STR("inboundTrackLabel", 0),
    STR("outboundTrackLabel", 0),
    TOK("languageCode"),
    TOK("transcriptionEngine"),
    TOK("speechModel"),
    BOOL("partialResults", "false", 12200),
    BOOL("profanityFilter", "true", 12200),
    BOOL("enableAutomaticPunctuation", "true", 12200),
    STR("hints", 0),
    STR("intelligenceService", 0),
};
static const struct twiml_attr_schema a_recording[] = {
    URL("recordingStatusCallback"),
    METH("recordingStatusCallbackMethod", 12200),
    LIST("recordingStatusCallbackEvent", REC_EVENTS, "completed", 12200),
    ENUM("trim", TRIM, "do-not-trim", 12200),
    ENUM("track", "inbound outbound both", "both", 12200),
    ENUM("channels", "mono dual", "mono", 12200),
    TOK("recordingConfigurationId"),
};
static const struct twiml_attr_schema a_virtual_agent[] = {
    STR("connectorName", 0),
    TOK("language"),
    BOOL("sentimentAnalysis", "false", 12200),
    URL("statusCallback"),
    METH("statusCallbackMethod", 12200),
};
static const struct twiml_attr_schema a_conversation[] = {
    SID("serviceInstanceSid", "IS"),
    BOOL("inboundAutocreation", "false", 12200),
    INT("routingAssignmentTimeout", 0, 2147483647, NULL, 12200),
    INT("inboundTimeout", 0, 2147483647, NULL, 12200),
    URL("url"),
    METH("method", 12200),
    ENUM("record", DIAL_RECORD, "do-not-record", 12200),
    ENUM("trim", TRIM, "do-not-trim", 12200),
    URL("recordingStatusCallback"),
    METH("recordingStatusCallbackMethod", 12200),
    LIST("recordingStatusCallbackEvent", REC_EVENTS, "completed", 12200),
    URL("statusCallback"),
    METH("statusCallbackMethod", 12200),
    LIST("statusCallbackEvent", "call-initiated call-ringing call-answered call-completed", NULL,
         12200),
};
static const struct twiml_attr_schema a_conversation_relay[] = {
    WSURL("url"),
    TOK("language"),
    TOK("ttsLanguage"),
    TOK("transcriptionLanguage"),
    TOK("ttsProvider"),
    STR("voice", 0),
    TOK("transcriptionProvider"),
    TOK("speechModel"),
    BOOL("profanityFilter", "true", 12200),
    BOOL("dtmfDetection", "false", 12200),
    STR("welcomeGreeting", 0),
    BOOL("partialPrompts", "false", 12200),
    STR("welcomeGreetingInterruptible", 0),
    STR("interruptible", 0),
    BOOL("preemptible", "false", 12200),
    STR("hints", 0),
    STR("intelligenceService", 0),
    BOOL("reportInputDuringAgentSpeech", "false", 12200),
    STR("elevenlabsTextNormalization", 0),
    STR("interruptSensitivity", 0),
    STR("debug", 0),
    STR("events", 0),
    STR("backgroundnoisereduction", 0),
    STR("deepgramsmartformat", 0),
    STR("ignorebackchannel", 0),
    STR("speechtimeout", 0),
};
static const struct twiml_attr_schema a_language[] = {
    TOK("code"),        TOK("ttsProvider"), STR("voice", 0), TOK("transcriptionProvider"),
    TOK("speechModel"),
};
static const struct twiml_attr_schema a_ai_session[] = {
    STR("aiConnector", 0),
    STR("aiSessionConfiguration", 0),
};
static const struct twiml_attr_schema a_relay_session[] = {
    STR("connector", 0),
    STR("sessionConfiguration", 0),
};
static const struct twiml_attr_schema a_pay[] = {
    ENUM("input", "dtmf", "dtmf", 12200),
    URL("action"),
    ENUM("bankAccountType",
         "consumer-checking consumer-savings commercial-checking commercial-savings",
         "consumer-checking", 12200),
    URL("statusCallback"),
    METH("statusCallbackMethod", 12200),
    INT("timeout", 1, 600, "5", 12200),
    INT("maxAttempts", 1, 3, "1", 12200),
    BOOL("securityCode", "true", 12200),
    STR("postalCode", 0),
    INT("minPostalCodeLength", 0, 100, NULL, 12200),
    STR("paymentConnector", 0),
    ENUM("paymentMethod", "ach-debit credit-card", "credit-card", 12200),
    ENUM("tokenType", "one-time reusable payment-method", "reusable", 12200),
    TOK("chargeAmount"),
    TOK("currency"),
    STR("description", 0),
    LIST("validCardTypes", CARD_TYPES, NULL, 12200),
    TOK("language"),
};
static const struct twiml_attr_schema a_prompt[] = {
    ENUM("for",
         "payment-card-number expiration-date security-code postal-code payment-processing "
         "bank-account-number bank-routing-number",
         NULL, 12200),
    LIST("errorType",
         "timeout invalid-card-number invalid-card-type invalid-date invalid-security-code "
         "internal-error input-matching-failed",
         NULL, 12200),
    LIST("cardType", CARD_TYPES, NULL, 12200),
    STR("attempt", 0),
    BOOL("requireMatchingInputs", "false", 12200),
};
static const struct twiml_attr_schema a_sms[] = {
    TOK("to"), TOK("from"), URL("action"), METH("method", 12200), URL("statusCallback"),
};
static const struct twiml_attr_schema a_autopilot[] = {
    STR("name", 0),
};
/* SSML */
static const struct twiml_attr_schema a_break[] = {
    ENUM("strength", "none x-weak weak medium strong x-strong", "medium", 12200),
    TOK("time"),
};
static const struct twiml_attr_schema a_emphasis[] = {
    ENUM("level", "strong moderate reduced", "moderate", 12200),
};
static const struct twiml_attr_schema a_lang[] = {
    TOK("xml:lang"),
};
static const struct twiml_attr_schema a_phoneme[] = {
    ENUM("alphabet",
         "ipa x-sampa x-amazon-jyutping x-amazon-pinyin x-amazon-pron-kana x-amazon-yomigana", NULL,
         12200),
    STR("ph", 0),
};
static const struct twiml_attr_schema a_prosody[] = {
    TOK("volume"),
    TOK("rate"),
    TOK("pitch"),
};
static const struct twiml_attr_schema a_say_as[] = {
    ENUM("interpret-as",
         "characters spell-out cardinal number ordinal digits fraction unit date time address "
         "expletive telephone",
         NULL, 12200),
    ENUM("format", "mdy dmy ymd md dm ym my d m y yyyymmdd", NULL, 12200),
};
static const struct twiml_attr_schema a_sub[] = {
    STR("alias", 0),
};
static const struct twiml_attr_schema a_w[] = {
    STR("role", 0),
};

#define NOKIDS ""
/* name, parents, kids, code for a bad child, text, mixed content, attributes */
static const struct twiml_elem_schema elems[] = {
    {"Response", "",
     "Connect Dial Echo Enqueue Gather Hangup Leave Pause Pay Play Prompt Queue Record Redirect "
     "Refer Reject Say Sms Start Stop",
     12200, NULL, false, NOATTRS},
    /* verbs */
    {"Say", "Response Gather Prompt", SSML_ALL, 12200, &text_any, true, ATTRS(a_say)},
    {"Play", "Response Gather Prompt", NOKIDS, 12200, &text_url, false, ATTRS(a_play)},
    {"Pause", "Response Gather Prompt", NOKIDS, 12200, NULL, false, ATTRS(a_pause)},
    {"Gather", "Response", "Say Play Pause", 12200, NULL, false, ATTRS(a_gather)},
    {"Record", "Response", NOKIDS, 12200, NULL, false, ATTRS(a_record)},
    {"Dial", "Response", "Number Sip Client Conference Queue Sim Application WhatsApp", 13215,
     &text_dial, false, ATTRS(a_dial)},
    {"Hangup", "Response", "Parameter", 12200, NULL, false, NOATTRS},
    {"Reject", "Response", "Parameter", 12200, NULL, false, ATTRS(a_reject)},
    {"Redirect", "Response", NOKIDS, 12200, &text_redirect, false, ATTRS(a_redirect)},
    {"Enqueue", "Response", "Task", 12200, &text_any, false, ATTRS(a_enqueue)},
    {"Leave", "Response", NOKIDS, 12200, NULL, false, NOATTRS},
    {"Refer", "Response", "Sip", 12200, NULL, false, ATTRS(a_action_method)},
    {"Connect", "Response",
     "Room Stream VirtualAgent Conversation ConversationRelay AiSession ConversationRelaySession "
     "Autopilot",
     12200, NULL, false, ATTRS(a_action_method)},
    {"Start", "Response", "Stream Siprec Transcription Recording", 12200, NULL, false,
     ATTRS(a_action_method)},
    {"Stop", "Response", "Stream Siprec Transcription", 12200, NULL, false, NOATTRS},
    {"Pay", "Response", "Prompt Parameter", 12200, NULL, false, ATTRS(a_pay)},
    {"Prompt", "Pay Response", "Say Play Pause", 12200, NULL, false, ATTRS(a_prompt)},
    {"Echo", "Response", NOKIDS, 12200, NULL, false, NOATTRS},
    {"Sms", "Response", NOKIDS, 12200, &text_any, false, ATTRS(a_sms)},
    /* <Dial> nouns */
    {"Number", "Dial", NOKIDS, 12200, &text_number, false, ATTRS(a_number)},
    {"Sip", "Dial Refer", "Uri Headers", 12200, &text_sip_noun, false, ATTRS(a_sip)},
    {"Uri", "Sip", NOKIDS, 12200, &text_sip, false, ATTRS(a_sip_uri)},
    {"Headers", "Sip", "Header", 12200, NULL, false, NOATTRS},
    {"Header", "Headers", NOKIDS, 12200, NULL, false, ATTRS(a_name_value)},
    {"Client", "Dial", "Identity Parameter", 12200, &text_identity, false, ATTRS(a_client)},
    {"Identity", "Client", NOKIDS, 12200, &text_identity, false, NOATTRS},
    {"Conference", "Dial", NOKIDS, 12200, &text_any, false, ATTRS(a_conference)},
    {"Queue", "Dial Response", NOKIDS, 12200, &text_any, false, ATTRS(a_queue)},
    {"Sim", "Dial", NOKIDS, 12200, &text_token, false, NOATTRS},
    {"Application", "Dial", "ApplicationSid Parameter", 12200, &text_token, false,
     ATTRS(a_application)},
    {"ApplicationSid", "Application", NOKIDS, 12200, &text_token, false, NOATTRS},
    {"WhatsApp", "Dial", NOKIDS, 12200, &text_number, false, ATTRS(a_whatsapp)},
    /* nouns of Enqueue, Connect, Start, Stop, Pay */
    {"Task", "Enqueue", NOKIDS, 12200, &text_any, false, ATTRS(a_task)},
    {"Room", "Connect", NOKIDS, 12200, &text_any, false, ATTRS(a_room)},
    {"Stream", "Connect Start Stop", "Parameter", 12200, NULL, false, ATTRS(a_stream)},
    {"Siprec", "Start Stop", "Parameter", 12200, NULL, false, ATTRS(a_siprec)},
    {"Transcription", "Start Stop", "Config Parameter", 12200, NULL, false, ATTRS(a_transcription)},
    {"Recording", "Start", NOKIDS, 12200, NULL, false, ATTRS(a_recording)},
    {"VirtualAgent", "Connect", "Config Parameter", 12200, NULL, false, ATTRS(a_virtual_agent)},
    {"Conversation", "Connect", NOKIDS, 12200, NULL, false, ATTRS(a_conversation)},
    {"ConversationRelay", "Connect", "Language Parameter", 12200, NULL, false,
     ATTRS(a_conversation_relay)},
    {"Language", "ConversationRelay", NOKIDS, 12200, NULL, false, ATTRS(a_language)},
    {"AiSession", "Connect", NOKIDS, 12200, NULL, false, ATTRS(a_ai_session)},
    {"ConversationRelaySession", "Connect", NOKIDS, 12200, NULL, false, ATTRS(a_relay_session)},
    {"Autopilot", "Connect", NOKIDS, 12200, &text_token, false, ATTRS(a_autopilot)},
    {"Config", "Transcription VirtualAgent", NOKIDS, 12200, NULL, false, ATTRS(a_name_value)},
    {"Parameter", PARAM_PARENTS, NOKIDS, 12200, NULL, false, ATTRS(a_name_value)},
    /* SSML inside <Say> */
    {"break", SSML_PARENTS " w", NOKIDS, 12200, NULL, false, ATTRS(a_break)},
    {"emphasis", SSML_PARENTS " w", SSML_INLINE, 12200, &text_any, true, ATTRS(a_emphasis)},
    {"lang", SSML_PARENTS, SSML_ALL, 12200, &text_any, true, ATTRS(a_lang)},
    {"p", "Say lang prosody", SSML_INLINE " s", 12200, &text_any, true, NOATTRS},
    {"phoneme", SSML_PARENTS " w", NOKIDS, 12200, &text_any, false, ATTRS(a_phoneme)},
    {"prosody", SSML_PARENTS " w", SSML_ALL, 12200, &text_any, true, ATTRS(a_prosody)},
    {"s", "Say lang p prosody", SSML_INLINE, 12200, &text_any, true, NOATTRS},
    {"say-as", SSML_PARENTS " w", NOKIDS, 12200, &text_any, false, ATTRS(a_say_as)},
    {"sub", SSML_PARENTS " w", NOKIDS, 12200, &text_any, false, ATTRS(a_sub)},
    {"w", SSML_W_PARENTS, "break emphasis phoneme prosody say-as sub", 12200, &text_any, true,
     ATTRS(a_w)},
};

/* Codes the linter reports, with Twilio's level (D-ERR). */
static const struct twiml_code codes[] = {
    {11750, TWIML_ERROR, "TwiML response body too large (over 64 kB)"},
    {12100, TWIML_ERROR, "document parse failure"},
    {12101, TWIML_ERROR, "invalid TwiML version"},
    {12102, TWIML_ERROR, "the root element must be Response"},
    {12200, TWIML_WARNING, "schema validation warning"},
    {13000, TWIML_WARNING, "Conference cannot be mixed with Number"},
    {13210, TWIML_WARNING, "Dial: invalid method value"},
    {13211, TWIML_WARNING, "Dial: invalid ifMachine value"},
    {13212, TWIML_WARNING, "Dial: invalid timeout value"},
    {13213, TWIML_WARNING, "Dial: invalid hangupOnStar value"},
    {13214, TWIML_WARNING, "Dial: invalid callerId value"},
    {13215, TWIML_WARNING, "Dial: invalid nested element"},
    {13216, TWIML_WARNING, "Dial: invalid timeLimit value"},
    {13217, TWIML_WARNING, "Dial: invalid record value"},
    {13218, TWIML_WARNING, "Dial: invalid sequential value"},
    {13219, TWIML_WARNING, "Dial: invalid answerOnBridge value"},
    {13220, TWIML_WARNING, "Dial: invalid ringTone value"},
    {13221, TWIML_WARNING, "Dial->Number: invalid method value"},
    {13222, TWIML_WARNING, "Dial->Number: invalid sendDigits value"},
    {13223, TWIML_WARNING, "Dial: invalid phone number format"},
    {13241, TWIML_WARNING, "Dial->Sip: invalid method value"},
    {13242, TWIML_WARNING, "Dial->Sip: invalid sendDigits value"},
    {13243, TWIML_WARNING, "Dial->Sip: invalid SIP URI"},
    {13249, TWIML_WARNING, "Dial->Sip: invalid username or password attribute"},
    {13250, TWIML_WARNING, "Dial->Sip: too many URIs"},
    {13251, TWIML_WARNING, "Dial->Sip: too many headers"},
    {13252, TWIML_WARNING, "Dial->Sip: invalid header name"},
    {13253, TWIML_WARNING, "Dial->Sip: header too long"},
    {13256, TWIML_WARNING, "Dial: invalid recordingStatusCallback URL"},
    {13810, TWIML_WARNING, "Reject: invalid reason"},
    {21227, TWIML_WARNING, "SIP URI headers portion must be shorter than 1024 characters"},
};

const struct twiml_elem_schema *twiml_schema_all(size_t *n)
{
	*n = sizeof(elems) / sizeof(elems[0]);
	return elems;
}

const struct twiml_elem_schema *twiml_schema_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(elems) / sizeof(elems[0]); i++)
		if (elems[i].name[0] == name[0] && strcmp(elems[i].name, name) == 0)
			return &elems[i];
	return NULL;
}

const struct twiml_elem_schema *twiml_schema_find_nocase(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(elems) / sizeof(elems[0]); i++)
		if (strcasecmp(elems[i].name, name) == 0)
			return &elems[i];
	return NULL;
}

const struct twiml_attr_schema *twiml_schema_attr(const struct twiml_elem_schema *e,
                                                  const char *name)
{
	if (!e || !name)
		return NULL;
	for (size_t i = 0; i < e->nattrs; i++)
		if (strcmp(e->attrs[i].name, name) == 0)
			return &e->attrs[i];
	return NULL;
}

size_t twiml_schema_attr_index(const struct twiml_elem_schema *e, const char *name)
{
	if (!e)
		return 0;
	for (size_t i = 0; i < e->nattrs; i++)
		if (strcmp(e->attrs[i].name, name) == 0)
			return i;
	return e->nattrs;
}

bool twiml_schema_in_list(const char *list, const char *word, size_t wlen)
{
	const char *p = list;
	if (!list || wlen == 0)
		return false;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *e = p;
		while (*e && *e != ' ')
			e++;
		if ((size_t)(e - p) == wlen && memcmp(p, word, wlen) == 0)
			return true;
		p = e;
	}
	return false;
}

const struct twiml_code *twiml_code_find(int code)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code)
			return &codes[i];
	return NULL;
}
