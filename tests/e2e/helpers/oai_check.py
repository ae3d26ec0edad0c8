#!/usr/bin/env python3
"""oai_check.py: checks one JSON answer of the emulator against fixtures/oai/twilio-oai-props.json.

usage: oai_check.py PROPS KIND FILE [--allow-extra RESOURCE.KEY]...
  KIND: incoming_phone_number, call, account, trunk, sip_domain (one resource) or
        incoming_phone_numbers, calls, accounts, trunks, sip_domains (a list page)
Every property the spec lists must be there, with a JSON type the spec allows, an enum value
it lists and the format it names; a key the spec does not list is a difference unless
--allow-extra names it. Prints one line per difference and exits 1 when there is any.
"""
import json
import re
import sys

ITEM_OF = {"incoming_phone_numbers": "incoming_phone_number", "calls": "call",
           "accounts": "account", "trunks": "trunk", "sip_domains": "sip_domain"}
DAYS = "Mon|Tue|Wed|Thu|Fri|Sat|Sun"
MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
FORMATS = {
    "date-time-rfc-2822": re.compile(r"^(%s), \d{2} (%s) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$" % (DAYS, MONTHS)),
    "date-time": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"),
    "http-method": re.compile(r"^(GET|POST)$"),
    "phone-number": re.compile(r"^\+[1-9]\d{1,14}$"),
    "currency": re.compile(r"^[A-Z]{3}$"),
    # an absolute http(s) URL, a path relative to the API host, or "" (not set)
    "uri": re.compile(r"^(https?://[^\s/]+\S*|/\S*|)$"),
}


def jtype(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    return "array" if isinstance(v, list) else "object"


def check(where, props, obj, allow, out):
    if not isinstance(obj, dict):
        out.append("%s: not an object (%s)" % (where, jtype(obj)))
        return
    for k, p in props.items():
        if k not in obj:
            out.append("%s.%s: missing (the spec says %s)" % (where, k, "|".join(p["type"])))
            continue
        v, t = obj[k], jtype(obj[k])
        if not (t in p["type"] or (t == "integer" and "number" in p["type"])):
            out.append("%s.%s: %s %s, the spec says %s" % (where, k, t, json.dumps(v), "|".join(p["type"])))
            continue
        if "enum" in p and isinstance(v, str) and v not in p["enum"]:
            out.append("%s.%s: %r is not one of %s" % (where, k, v, p["enum"]))
        fmt = p.get("format")
        if isinstance(v, str) and fmt in FORMATS and not FORMATS[fmt].match(v):
            out.append("%s.%s: %r is not %s" % (where, k, v, fmt))
        if fmt == "uri-map" and isinstance(v, dict):
            for mk, mv in v.items():
                if not isinstance(mv, str) or not FORMATS["uri"].match(mv):
                    out.append("%s.%s.%s: %r is not a URI" % (where, k, mk, mv))
        if isinstance(v, dict) and "properties" in p:
            check(where + "." + k, p["properties"], v, allow, out)
    for k in obj:
        if k not in props and ("%s.%s" % (where.split("[")[0].split(".")[0], k)) not in allow:
            out.append("%s.%s: not in the spec" % (where, k))


def main(argv):
    allow = set()
    args = []
    i = 0
    while i < len(argv):
        if argv[i] == "--allow-extra":
            allow.add(argv[i + 1])
            i += 2
        else:
            args.append(argv[i])
            i += 1
    if len(args) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    props = json.load(open(args[0]))
    kind, doc = args[1], json.load(open(args[2]))
    res, lists = props["resources"], props["lists"]
    out = []
    if kind in res:
        check(kind, res[kind]["properties"], doc, allow, out)
    elif kind in lists:
        L = lists[kind]
        ak = L["array_key"]
        if "meta" in L:
            check(kind + ".meta", L["meta"]["properties"], doc.get("meta"), allow, out)
            for k in doc:
                if k not in (ak, "meta"):
                    out.append("%s.%s: not in the spec" % (kind, k))
        else:
            check(kind, L["properties"], {k: v for k, v in doc.items() if k != ak}, allow, out)
        items = doc.get(ak)
        if not isinstance(items, list):
            out.append("%s.%s: missing array" % (kind, ak))
        else:
            if not items:
                out.append("%s.%s: empty (nothing to check)" % (kind, ak))
            for n, it in enumerate(items):
                # extras are allowed as RESOURCE.KEY, the same as for a single answer
                sub = []
                check(ITEM_OF[kind], res[ITEM_OF[kind]]["properties"], it, allow, sub)
                out += ["%s.%s[%d]%s" % (kind, ak, n, s[len(ITEM_OF[kind]):]) for s in sub]
    else:
        print("oai_check: unknown KIND %s" % kind, file=sys.stderr)
        return 2
    for line in out:
        print(line)
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
