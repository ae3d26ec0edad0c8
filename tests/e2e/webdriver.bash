# webdriver.bash: a W3C WebDriver client in curl and jq, driving Debian's headless chromium
# through chromedriver on a loopback port. Source after lib.sh. Every call is bounded in time.
WD=""      # http://127.0.0.1:PORT of chromedriver
WD_SID=""  # the session
WD_PID=""
WD_EL="element-6066-11e4-a52e-4f735466cecf"
CLEANUP+=('[ -n "$WD_SID" ] && curl -s -m 5 -X DELETE "$WD/session/$WD_SID" >/dev/null 2>&1' '[ -n "$WD_PID" ] && kill "$WD_PID" 2>/dev/null')

# wd_call METHOD PATH [JSON]: the answer's body on stdout; fails on a WebDriver error.
wd_call() {
	local out
	out=$(curl -s -m 30 -X "$1" -H 'Content-Type: application/json' ${3:+--data "$3"} "$WD$2") || return 1
	if jq -e '.value | type == "object" and has("error")' >/dev/null 2>&1 <<<"$out"; then
		echo "$out" >"$T/wd-error.json"
		[ -n "${WD_QUIET:-}" ] || echo "webdriver: $1 $2: $(jq -r '.value.error + ": " + (.value.message | split("\n")[0])' <<<"$out")" >&2
		return 1
	fi
	printf '%s' "$out"
}

# wd_start: chromedriver and a headless chromium session (fresh profile, no background
# network), a 1280x900 window.
wd_start() {
	local port
	port=$(free_port)
	WD="http://127.0.0.1:$port"
	chromedriver --port="$port" >"$T/chromedriver.log" 2>&1 &
	WD_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		curl -s -m 1 "$WD/status" 2>/dev/null | jq -e '.value.ready' >/dev/null 2>&1 && break
		sleep 0.1
	done
	local caps
	caps=$(jq -n --arg dir "$T/chromium-profile" '{capabilities: {alwaysMatch: {
		browserName: "chrome", "goog:chromeOptions": {binary: "/usr/bin/chromium", args: [
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-quic", "--no-first-run", "--hide-scrollbars", "--window-size=1280,900",
		"--user-data-dir=\($dir)"]}}}}')
	WD_SID=$(wd_call POST /session "$caps" | jq -r '.value.sessionId') || return 1
	[ -n "$WD_SID" ] && [ "$WD_SID" != null ]
}

wd_get() { wd_call POST "/session/$WD_SID/url" "$(jq -n --arg u "$1" '{url: $u}')" >/dev/null; }
wd_url() { wd_call GET "/session/$WD_SID/url" | jq -r .value; }
# wd_find CSS: the element's id (fails when there is none)
wd_find() {
	wd_call POST "/session/$WD_SID/element" "$(jq -n --arg v "$1" '{using: "css selector", value: $v}')" |
		jq -r --arg k "$WD_EL" '.value[$k]'
}
wd_count() {
	wd_call POST "/session/$WD_SID/elements" "$(jq -n --arg v "$1" '{using: "css selector", value: $v}')" |
		jq -r '.value | length'
}
wd_click() { local e; e=$(wd_find "$1") && wd_call POST "/session/$WD_SID/element/$e/click" '{}' >/dev/null; }
wd_clear() { local e; e=$(wd_find "$1") && wd_call POST "/session/$WD_SID/element/$e/clear" '{}' >/dev/null; }
wd_type() { # CSS TEXT
	local e
	e=$(wd_find "$1") && wd_call POST "/session/$WD_SID/element/$e/value" "$(jq -n --arg t "$2" '{text: $t}')" >/dev/null
}
wd_text() { local e; e=$(wd_find "$1") && wd_call GET "/session/$WD_SID/element/$e/text" | jq -r .value; }
# wd_js SCRIPT: the script's return value (JSON)
wd_js() { wd_call POST "/session/$WD_SID/execute/sync" "$(jq -n --arg s "$1" '{script: $s, args: []}')" | jq -c .value; }
# wd_wait_text CSS REGEX [SECONDS]: until the element's text matches (bounded)
wd_wait_text() {
	local i limit=$((${3:-10} * 10)) got
	for ((i = 0; i < limit; i++)); do
		got=$(WD_QUIET=1 wd_text "$1" 2>/dev/null) && printf '%s' "$got" | grep -qE -- "$2" && return 0
		sleep 0.1
	done
	return 1
}
# wd_wait_url REGEX [SECONDS]
wd_wait_url() {
	local i limit=$((${2:-10} * 10))
	for ((i = 0; i < limit; i++)); do
		wd_url 2>/dev/null | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
# wd_alert_open: whether a JavaScript dialog is showing (an injected alert() would be one)
wd_alert_open() { WD_QUIET=1 wd_call GET "/session/$WD_SID/alert/text" >/dev/null 2>&1; }
# wd_shot FILE: the whole page as PNG (the window grown to the page's height first)
wd_shot() {
	local h
	h=$(wd_js 'return Math.min(4000, Math.max(document.documentElement.scrollHeight, 700));')
	wd_call POST "/session/$WD_SID/window/rect" "{\"width\": 1280, \"height\": $h}" >/dev/null
	wd_js 'window.scrollTo(0, 0); return 0;' >/dev/null # typing scrolled it: the page from its top
	wd_call GET "/session/$WD_SID/screenshot" | jq -r .value | base64 -d >"$1"
	wd_call POST "/session/$WD_SID/window/rect" '{"width": 1280, "height": 900}' >/dev/null
}
