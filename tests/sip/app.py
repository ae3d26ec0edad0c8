#!/usr/bin/env python3
# app.py DIR PORTFILE: a stand-in app for the SIP tests: answers GET or POST /NAME with the
# file DIR/NAME.xml as text/xml (404 when there is none), and appends each request's path
# and form to DIR/requests.log, and a JSON line (method, path, X-Twilio-Signature, the form's
# pairs in order) to DIR/requests.jsonl. Listens on 127.0.0.1, a free port written to PORTFILE.
import http.server, json, os, sys, urllib.parse

root, portfile = sys.argv[1], sys.argv[2]


class App(http.server.BaseHTTPRequestHandler):
    def answer(self, body):
        path = urllib.parse.urlsplit(self.path).path.strip("/")
        with open(os.path.join(root, "requests.log"), "a") as log:
            log.write("%s %s %s\n" % (self.command, path, body))
        with open(os.path.join(root, "requests.jsonl"), "a") as log:
            log.write(json.dumps({"method": self.command, "path": path,
                                  "signature": self.headers.get("X-Twilio-Signature"),
                                  "form": urllib.parse.parse_qsl(body, keep_blank_values=True)})
                      + "\n")
        f = os.path.join(root, os.path.basename(path) + ".xml")
        if not path or not os.path.isfile(f):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = open(f, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.answer("")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.answer(self.rfile.read(n).decode("utf-8", "replace"))

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), App)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
