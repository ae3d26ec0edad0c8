#!/usr/bin/env bash
# run.sh (make run): the main job on a fresh machine. Starts the referUrl
# webhook server on the embedded SQLite default (./handoff.db, or $HANDOFF_DB),
# loading the example destinations into a new database first.
#
# Env: HANDOFF_DB, HANDOFF_LISTEN (default 127.0.0.1:8080), HANDOFF_PUBLIC_URL
# (default http://$HANDOFF_LISTEN), HANDOFF_AGENT (the SIP URI /voice dials),
# TWILIO_AUTH_TOKEN (without it a development token is made, see below).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin/handoff
export HANDOFF_DB=${HANDOFF_DB:-handoff.db}
listen=${HANDOFF_LISTEN:-127.0.0.1:8080}
public=${HANDOFF_PUBLIC_URL:-http://$listen}
agent=${HANDOFF_AGENT:-sip:agent@agent.example.com}

if [ ! -f "$HANDOFF_DB" ]; then
	echo "run: new database $HANDOFF_DB: loading fixtures/destinations/example.json" >&2
	"$bin" import fixtures/destinations/example.json >&2
	"$bin" promote --message "example set" >&2
fi

if [ -z "${TWILIO_AUTH_TOKEN:-}" ]; then
	# A token of our own, so the server checks signatures as it would in
	# production; it is kept in a 0600 file, never printed.
	tokfile=.handoff-dev-token
	if [ ! -s "$tokfile" ]; then
		(umask 077 && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tokfile")
	fi
	TWILIO_AUTH_TOKEN=$(cat "$tokfile")
	export TWILIO_AUTH_TOKEN
	echo "run: TWILIO_AUTH_TOKEN is not set: using a development token kept in $tokfile" >&2
	echo "run: sign a test request with: TWILIO_AUTH_TOKEN=\$(cat $tokfile) $bin sig sign --url $public/refer ReferTransferTarget=sip:billing@x" >&2
fi

exec "$bin" serve --listen "$listen" --public-url "$public" --agent "$agent"
