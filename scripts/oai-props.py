#!/usr/bin/env python3
"""Derive property lists (JSON types, nullability, formats, enums) for a few
Twilio REST resources from twilio/twilio-oai's OpenAPI files.

usage:
  scripts/oai-props.py API_V2010_JSON TRUNKING_V1_JSON [-o OUT] [--commit SHA]
                       [--commit-date ISO] [--repo owner/name]

It made fixtures/oai/twilio-oai-props.json (see fixtures/oai/README.md for how to
refresh it), which tests/e2e/twilio_oai.sh checks the emulator's answers against.

API_V2010_JSON   spec/json/twilio_api_v2010.json of twilio/twilio-oai
TRUNKING_V1_JSON spec/json/twilio_trunking_v1.json of twilio/twilio-oai

Writes JSON to OUT (default: stdout). Python 3 standard library only.
The output is deterministic for given inputs (keys keep the spec's order).

Type rules:
  * "type" is the list of JSON types a value may take: the schema's `type`
    (OpenAPI 3.0 single string), plus "null" when `nullable: true`.
  * A `$ref` is resolved inside components/schemas; a referenced enum schema
    gives its own `type` (string) and "enum" values, and "enum_ref" names it.
    The ref'd enum schemas carry no `nullable`, so such properties are not
    nullable per the spec.
  * "format" is copied when present (date-time-rfc-2822, uri, uri-map,
    http-method, phone-number, currency, date-time, ...).
  * "enum" is copied for inline enums too (e.g. trunk disaster_recovery_method).
  * Nested object "properties" and array "items" are described the same way.
  * A schema without `type` or `$ref` (trunk.recording) is reported with
    "untyped_in_spec": true; its "type" is then taken from the JSON types of
    the values in the spec's own response examples (plus "null" when
    nullable), and "type_source" says so.
  * "example_keys": for objects without declared properties (uri-map,
    untyped), the keys seen in the spec's examples.
  * "example_types": JSON types seen for that property in the spec's response
    examples (all operations returning the resource or its list), as evidence.
"""
import argparse
import hashlib
import json
import sys

V2010_PREFIX = "/2010-04-01"

RESOURCES = [
    # (output name, spec file key, schema name)
    ("incoming_phone_number", "api", "api.v2010.account.incoming_phone_number"),
    ("call", "api", "api.v2010.account.call"),
    ("account", "api", "api.v2010.account"),
    ("trunk", "trunking", "trunking.v1.trunk"),
    ("sip_domain", "api", "api.v2010.account.sip.sip_domain"),
]

LISTS = [
    # (output name, spec file key, path of the list GET, array key, style)
    ("incoming_phone_numbers", "api",
     "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
     "incoming_phone_numbers", "v2010"),
    ("calls", "api", "/2010-04-01/Accounts/{AccountSid}/Calls.json", "calls", "v2010"),
    ("accounts", "api", "/2010-04-01/Accounts.json", "accounts", "v2010"),
    ("trunks", "trunking", "/v1/Trunks", "trunks", "v1"),
    ("sip_domains", "api", "/2010-04-01/Accounts/{AccountSid}/SIP/Domains.json", "domains",
     "v2010"),
]


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
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "unknown"


def add_unique(lst, x):
    if x not in lst:
        lst.append(x)


TYPE_ORDER = ["string", "integer", "number", "boolean", "object", "array", "null"]


def sort_types(ts):
    return sorted(ts, key=lambda t: TYPE_ORDER.index(t) if t in TYPE_ORDER else 99)


class Spec:
    def __init__(self, path):
        with open(path, "rb") as f:
            raw = f.read()  # read once: the argument may be a pipe
        self.sha256 = hashlib.sha256(raw).hexdigest()
        self.doc = json.loads(raw.decode("utf-8"))
        self.schemas = self.doc.get("components", {}).get("schemas", {})

    def resolve(self, ref):
        if not ref.startswith("#/components/schemas/"):
            raise ValueError("unsupported $ref %r" % ref)
        name = ref[len("#/components/schemas/"):]
        return name, self.schemas[name]

    def describe(self, sch, examples=None):
        """Description of one property schema."""
        out = {}
        nullable = bool(sch.get("nullable"))
        base = sch
        if "$ref" in sch:
            name, base = self.resolve(sch["$ref"])
            out["ref"] = name
            if "enum" in base:
                out["enum_ref"] = name
            nullable = nullable or bool(base.get("nullable"))
        types = []
        t = base.get("type")
        if isinstance(t, list):  # OpenAPI 3.1 style, not expected here
            types.extend(t)
        elif t:
            types.append(t)
        elif "enum" in base:
            types.append("string")
        ex_types = []
        for v in examples or []:
            add_unique(ex_types, jtype(v))
        if not types:
            out["untyped_in_spec"] = True
            inferred = [x for x in ex_types if x != "null"]
            types.extend(inferred)
            out["type_source"] = "spec examples (schema has no type)"
        if nullable:
            add_unique(types, "null")
        out = dict([("type", sort_types(types))] + list(out.items()))
        out["nullable"] = nullable
        if "format" in base:
            out["format"] = base["format"]
        if "enum" in base:
            out["enum"] = list(base["enum"])
        if base.get("type") == "object" and "properties" in base:
            out["properties"] = {}
            for k, v in base["properties"].items():
                sub = [e[k] for e in (examples or []) if isinstance(e, dict) and k in e]
                out["properties"][k] = self.describe(v, sub)
        if t == "object" and "properties" not in base or out.get("untyped_in_spec"):
            keys = []
            for e in examples or []:
                if isinstance(e, dict):
                    for k in e:
                        add_unique(keys, k)
            if keys:
                out["example_keys"] = keys
        if base.get("type") == "array" and "items" in base:
            it = []
            for e in examples or []:
                if isinstance(e, list):
                    it.extend(e)
            out["items"] = self.describe(base["items"], it)
        if examples is not None:
            out["example_types"] = sort_types(ex_types)
        return out

    def operations(self):
        for p, item in self.doc.get("paths", {}).items():
            for m, op in item.items():
                if m in ("get", "post", "put", "delete", "patch") and isinstance(op, dict):
                    yield p, m, op

    def instance_examples(self, schema_name):
        """Every example instance of schema_name in the spec's responses."""
        ref = "#/components/schemas/" + schema_name
        found = []
        for _p, _m, op in self.operations():
            for _code, resp in op.get("responses", {}).items():
                c = resp.get("content", {}).get("application/json")
                if not c:
                    continue
                sch = c.get("schema", {})
                exs = [e.get("value") for e in c.get("examples", {}).values()
                       if isinstance(e, dict)]
                if sch.get("$ref") == ref:
                    found.extend(x for x in exs if isinstance(x, dict))
                    continue
                for key, ps in sch.get("properties", {}).items():
                    if ps.get("type") == "array" and ps.get("items", {}).get("$ref") == ref:
                        for x in exs:
                            if isinstance(x, dict) and isinstance(x.get(key), list):
                                found.extend(i for i in x[key] if isinstance(i, dict))
        return found

    def resource(self, schema_name):
        sch = self.schemas[schema_name]
        exs = self.instance_examples(schema_name)
        props = {}
        for k, v in sch.get("properties", {}).items():
            props[k] = self.describe(v, [e[k] for e in exs if k in e])
        extra = []
        for e in exs:
            for k in e:
                if k not in props:
                    add_unique(extra, k)
        out = {"schema": schema_name, "count": len(props), "properties": props}
        if sch.get("required"):
            out["required"] = list(sch["required"])
        out["examples_seen"] = len(exs)
        if extra:
            out["keys_in_examples_not_in_schema"] = extra
        return out

    def list_envelope(self, path, array_key, style):
        op = self.doc["paths"][path]["get"]
        c = op["responses"]["200"]["content"]["application/json"]
        sch = c["schema"]
        exs = [e.get("value") for e in c.get("examples", {}).values() if isinstance(e, dict)]
        exs = [e for e in exs if isinstance(e, dict)]
        out = {"path": path, "operation_id": op.get("operationId"),
               "title": sch.get("title"), "array_key": array_key}
        arr = sch["properties"][array_key]
        out["items_ref"] = arr.get("items", {}).get("$ref", "").split("/")[-1]
        props = {}
        for k, v in sch["properties"].items():
            if k == array_key:
                continue
            props[k] = self.describe(v, [e[k] for e in exs if k in e])
        if style == "v1":
            meta = props.pop("meta")
            out["meta"] = meta
            out["properties"] = {array_key: {"type": ["array"]}, "meta": {"type": meta["type"]}}
        else:
            out["properties"] = props
        out["count"] = len(out["properties"]) if style == "v2010" else len(meta["properties"])
        return out


def sanity(doc):
    """Spot checks that the derivation found what it should; list of problems."""
    R, L = doc["resources"], doc["lists"]
    want = {
        "call": {"sid": "string", "parent_call_sid": "string", "status": "string",
                 "subresource_uris": "object", "duration": "string"},
        "incoming_phone_number": {"voice_url": "string", "trunk_sid": "string",
                                  "capabilities": "object"},
        "account": {"sid": "string", "status": "string", "subresource_uris": "object"},
        "trunk": {"transfer_mode": "string", "transfer_caller_id": "string",
                  "links": "object", "recording": "object", "auth_type_set": "array"},
        "sip_domain": {"sid": "string", "domain_name": "string", "voice_url": "string",
                       "subresource_uris": "object", "sip_registration": "boolean"},
    }
    bad = []
    for r, props in want.items():
        for k, t in props.items():
            p = R.get(r, {}).get("properties", {}).get(k)
            if not p:
                bad.append("%s lacks %s" % (r, k))
            elif t not in p["type"]:
                bad.append("%s.%s is %s, expected %s" % (r, k, p["type"], t))
    if "in-progress" not in R["call"]["properties"].get("status", {}).get("enum", []):
        bad.append("call.status enum lacks in-progress")
    if R["call"]["properties"].get("date_created", {}).get("format") != "date-time-rfc-2822":
        bad.append("call.date_created format is not date-time-rfc-2822")
    for name in ("incoming_phone_numbers", "calls", "accounts", "sip_domains"):
        ps = L[name]["properties"]
        for k in ("end", "first_page_uri", "next_page_uri", "page", "page_size",
                  "previous_page_uri", "start", "uri"):
            if k not in ps:
                bad.append("list %s lacks %s" % (name, k))
    meta = L["trunks"].get("meta", {}).get("properties", {})
    for k in ("first_page_url", "key", "next_page_url", "page", "page_size",
              "previous_page_url", "url"):
        if k not in meta:
            bad.append("trunks meta lacks %s" % k)
    return bad


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("api_v2010")
    ap.add_argument("trunking_v1")
    ap.add_argument("-o", "--output")
    ap.add_argument("--repo", default="twilio/twilio-oai")
    ap.add_argument("--commit", default=None)
    ap.add_argument("--commit-date", default=None)
    args = ap.parse_args(argv)
    specs = {"api": Spec(args.api_v2010), "trunking": Spec(args.trunking_v1)}
    doc = {
        "source": {
            "repo": args.repo,
            "commit": args.commit,
            "commit_date": args.commit_date,
            "files": ["spec/json/twilio_api_v2010.json", "spec/json/twilio_trunking_v1.json"],
            "file_sha256": {
                "spec/json/twilio_api_v2010.json": specs["api"].sha256,
                "spec/json/twilio_trunking_v1.json": specs["trunking"].sha256,
            },
            "info_versions": {k: s.doc.get("info", {}).get("version") for k, s in specs.items()},
            "generator": "scripts/oai-props.py",
        },
        "rules": {
            "type": "JSON types a value may take: spec `type` (+ \"null\" if `nullable`); "
                    "$ref to an enum schema -> its type (string) with enum values",
            "format": "copied from the spec when present",
            "untyped_in_spec": "schema has no type; type inferred from spec examples",
            "example_keys": "keys seen in the spec's examples for objects without declared properties",
            "example_types": "JSON types observed in the spec's own response examples",
        },
        "resources": {},
        "lists": {},
    }
    for name, key, schema in RESOURCES:
        doc["resources"][name] = specs[key].resource(schema)
    for name, key, path, akey, style in LISTS:
        doc["lists"][name] = specs[key].list_envelope(path, akey, style)
    problems = sanity(doc)
    for m in problems:
        sys.stderr.write("derive.py: sanity check failed: %s\n" % m)
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
