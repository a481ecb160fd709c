#!/usr/bin/env python3
"""Generate src/msg/status_table.c from data/status/.

data/status/codes.json holds the canonical facts of every code of the IANA SIP
response-code registry (code, phrase, RFC, section, methods, senders, proxy role,
headers). Every other data/status/<locale>.json holds one locale: its labels and
the texts of every code and class. A new locale is a new file; no code changes.

The data is validated first: every code has every field in every locale, and any
problem stops the generator with a message naming the file and the field. The
output is deterministic (sorted codes, locales in name order with en first), so
`make check-gen` can compare it with the committed file.
"""
import argparse
import json
import os
import re
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "data", "status")
OUT = os.path.join(ROOT, "src", "msg", "status_table.c")

# Orders fixed by include/siphon/status.h (enum values and bit positions).
LABELS = ["description", "when", "action", "consequences", "rfc", "class", "outcome",
          "requests", "senders", "headers", "receiver", "proxy", "key_differences",
          "when_to_use", "unregistered", "deprecated", "any_request", "in_dialog", "none",
          "no_differences", "same"]
OUTCOMES = ["provisional", "success", "redirection", "failure"]
SENDERS = ["uas", "proxy", "registrar", "redirect", "notifier", "esc"]
PROXY_ROLES = ["absorb", "forward", "recurse", "collect", "cancel"]
TEXTS = ["description", "when", "action", "receiver"]  # required per code and class
CODE_KEYS = {"code", "phrase", "rfc", "section", "requests", "in_dialog", "senders",
             "proxy", "headers", "deprecated"}
CLASS_KEYS = {"class", "name", "treated_as", "rfc", "section", "requests", "in_dialog",
              "senders", "proxy", "headers"}
TOKEN = re.compile(r"^[A-Za-z0-9-]+$")


class DataError(Exception):
    pass


def fail(where, msg):
    raise DataError(f"{where}: {msg}")


def text(where, v):
    """A non-empty, trimmed, NFC-normalised single-line string."""
    if not isinstance(v, str) or not v.strip():
        fail(where, "must be a non-empty string")
    if v != v.strip():
        fail(where, "has leading or trailing spaces")
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in v):
        fail(where, "has a control character")
    if not unicodedata.is_normalized("NFC", v):
        fail(where, "is not in Unicode NFC form")
    return v


def exact_keys(where, obj, keys):
    if not isinstance(obj, dict):
        fail(where, "must be an object")
    missing = sorted(set(keys) - set(obj))
    extra = sorted(set(obj) - set(keys) - {"comment"})
    if missing:
        fail(where, f"missing {', '.join(missing)}")
    if extra:
        fail(where, f"unknown {', '.join(extra)}")


def facts(where, e):
    """Validate the fields codes and classes share; returns (senders bits, proxy)."""
    text(where + ".rfc", e["rfc"])
    if not re.match(r"^RFC [0-9]+$", e["rfc"]):
        fail(where + ".rfc", "must look like 'RFC 3261'")
    text(where + ".section", e["section"])
    req = e["requests"]
    if not isinstance(req, list) or not req:
        fail(where + ".requests", "must be a non-empty list")
    if req != ["*"] and not all(isinstance(m, str) and re.match(r"^[A-Z]+$", m) for m in req):
        fail(where + ".requests", "must be [\"*\"] or upper-case method names")
    if not isinstance(e["in_dialog"], bool):
        fail(where + ".in_dialog", "must be true or false")
    s = e["senders"]
    if not isinstance(s, list) or not s or any(x not in SENDERS for x in s) or len(set(s)) != len(s):
        fail(where + ".senders", f"must be distinct values of {SENDERS}")
    if e["proxy"] not in PROXY_ROLES:
        fail(where + ".proxy", f"must be one of {PROXY_ROLES}")
    h = e["headers"]
    if not isinstance(h, list) or any(not isinstance(x, str) or not TOKEN.match(x) for x in h):
        fail(where + ".headers", "must be a list of header names")
    bits = 0
    for x in s:
        bits |= 1 << SENDERS.index(x)
    return bits, PROXY_ROLES.index(e["proxy"])


def load_canonical(data):
    path = os.path.join(data, "codes.json")
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    exact_keys("codes.json", d, {"classes", "codes"})
    classes = {}
    for i, c in enumerate(d["classes"]):
        where = f"codes.json classes[{i}]"
        exact_keys(where, c, CLASS_KEYS)
        k = c["class"]
        if k not in range(1, 7) or k in classes:
            fail(where + ".class", "must be a distinct digit 1..6")
        text(where + ".name", c["name"])
        if not isinstance(c["treated_as"], int) or c["treated_as"] // 100 != k:
            fail(where + ".treated_as", "must be a code of the class")
        facts(where, c)
        classes[k] = c
    if sorted(classes) != list(range(1, 7)):
        fail("codes.json classes", "must hold the classes 1..6")
    codes = {}
    for i, c in enumerate(d["codes"]):
        where = f"codes.json code {c.get('code', i)}"
        exact_keys(where, c, CODE_KEYS)
        n = c["code"]
        if not isinstance(n, int) or not 100 <= n <= 699:
            fail(where, "code must be an integer in 100..699")
        if n in codes:
            fail(where, "duplicate code")
        text(where + ".phrase", c["phrase"])
        if not isinstance(c["deprecated"], bool):
            fail(where + ".deprecated", "must be true or false")
        facts(where, c)
        codes[n] = c
    for k, c in classes.items():
        if c["treated_as"] not in codes:
            fail(f"codes.json class {k}", "treated_as must be a registered code")
    if len(codes) > 254:
        fail("codes.json", "more than 254 codes do not fit the uint8_t index")
    return classes, codes


def load_locale(path, codes):
    name = os.path.basename(path)[:-5]
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    w = f"{name}.json"
    exact_keys(w, d, {"locale", "name", "labels", "class_names", "outcomes", "senders",
                      "proxy_roles", "classes", "codes"})
    if d["locale"] != name:
        fail(w + ".locale", f"must be '{name}', the file's name")
    if not re.match(r"^[a-z]{2,3}$", name):
        fail(w, "locale file names are ISO 639 codes such as en or vi")
    text(w + ".name", d["name"])
    for key, names in (("labels", LABELS), ("outcomes", OUTCOMES), ("senders", SENDERS),
                       ("proxy_roles", PROXY_ROLES), ("class_names", [str(k) for k in range(1, 7)])):
        exact_keys(f"{w} {key}", d[key], names)
        for n in names:
            text(f"{w} {key}.{n}", d[key][n])
    exact_keys(w + " classes", d["classes"], [str(k) for k in range(1, 7)])
    for k in range(1, 7):
        e = d["classes"][str(k)]
        exact_keys(f"{w} class {k}", e, TEXTS)
        for t in TEXTS:
            text(f"{w} class {k}.{t}", e[t])
    exact_keys(w + " codes", d["codes"], [str(n) for n in codes])
    for n in codes:
        e = d["codes"][str(n)]
        exact_keys(f"{w} code {n}", e, TEXTS + (["proxy"] if "proxy" in e else []))
        for t in e:
            text(f"{w} code {n}.{t}", e[t])
    return d


def load_locales(data, codes):
    files = sorted(f for f in os.listdir(data) if f.endswith(".json") and f != "codes.json")
    locs = {f[:-5]: load_locale(os.path.join(data, f), codes) for f in files}
    if "en" not in locs:
        fail("data/status", "the default locale en.json is missing")
    # A code's own proxy note must exist in every locale or in none.
    for n in codes:
        have = {k for k, d in locs.items() if "proxy" in d["codes"][str(n)]}
        if have and have != set(locs):
            fail(f"code {n}", f"proxy note in {sorted(have)} but not in {sorted(set(locs) - have)}")
    return [("en", locs["en"])] + [(k, v) for k, v in sorted(locs.items()) if k != "en"]


def c_str(s):
    out = []
    for ch in s:
        if ch in "\\\"":
            out.append("\\" + ch)
        else:
            out.append(ch)
    # No trigraphs in the output (-std=c17 honours them).
    return '"' + "".join(out).replace("??", "?\\?") + '"'


def row(code, treated, bits, proxy, e, phrase):
    methods = " ".join(e["requests"])
    headers = ", ".join(e["headers"])
    return (f"\t{{ {code}, {treated}, 0x{bits:02x}, SIP_STATUS_PROXY_{PROXY_ROLES[proxy].upper()}, {str(e['in_dialog']).lower()}, "
            f"{str(e.get('deprecated', False)).lower()},\n\t  {c_str(phrase)}, {c_str(e['rfc'])}, "
            f"{c_str(e['section'])}, {c_str(methods)}, {c_str(headers)} }},")


def texts(e):
    lines = [f"\t\t{c_str(e[t])}," for t in TEXTS]
    lines.append(f"\t\t{c_str(e['proxy'])}," if "proxy" in e else "\t\tNULL,")
    return lines


def generate(classes, codes, locales):
    order = sorted(codes)
    o = []
    o.append("/* DO NOT EDIT: generated by scripts/gen_status.py from data/status/codes.json")
    o.append(" * and data/status/{" + ",".join(k for k, _ in locales) + "}.json. Edit the data, then run `make gen`. */")
    o.append('#include "status_int.h"')
    o.append("")
    o.append("const struct status_row status_rows[] = {")
    for n in order:
        e = codes[n]
        bits, proxy = facts(f"code {n}", e)
        o.append(row(n, n, bits, proxy, e, e["phrase"]))
    o.append("};")
    o.append("")
    o.append("const size_t status_row_count = sizeof(status_rows) / sizeof(status_rows[0]);")
    o.append("")
    o.append("const struct status_row status_class_rows[7] = {")
    for k in range(1, 7):
        e = classes[k]
        bits, proxy = facts(f"class {k}", e)
        o.append(f"\t[{k}] = " + row(k, e["treated_as"], bits, proxy, e, e["name"])[1:])
    o.append("};")
    o.append("")
    o.append("const uint8_t status_index[SIP_STATUS_MAX + 1] = {")
    for i, n in enumerate(order):
        o.append(f"\t[{n}] = {i + 1},")
    o.append("};")
    for name, d in locales:
        o.append("")
        o.append(f"static const struct status_text texts_{name}[] = {{")
        for n in order:
            o.append(f"\t{{ /* {n} */")
            o.extend(texts(d["codes"][str(n)]))
            o.append("\t},")
        o.append("};")
        o.append("")
        o.append(f"static const struct status_text classes_{name}[7] = {{")
        for k in range(1, 7):
            o.append(f"\t[{k}] = {{")
            o.extend(texts(d["classes"][str(k)]))
            o.append("\t},")
        o.append("};")
    o.append("")
    o.append("const struct sip_status_locale status_locales[] = {")
    for name, d in locales:
        o.append("\t{")
        o.append(f"\t\t.name = {c_str(name)},")
        o.append(f"\t\t.native = {c_str(d['name'])},")
        o.append("\t\t.labels = {")
        o.extend(f"\t\t\t{c_str(d['labels'][k])}," for k in LABELS)
        o.append("\t\t},")
        o.append("\t\t.class_names = {")
        o.append('\t\t\t"",')
        o.extend(f"\t\t\t{c_str(d['class_names'][str(k)])}," for k in range(1, 7))
        o.append("\t\t},")
        for field, keys in (("outcomes", OUTCOMES), ("senders", SENDERS), ("proxy_roles", PROXY_ROLES)):
            o.append(f"\t\t.{field} = {{")
            o.extend(f"\t\t\t{c_str(d[field][k])}," for k in keys)
            o.append("\t\t},")
        o.append(f"\t\t.codes = texts_{name},")
        o.append(f"\t\t.classes = classes_{name},")
        o.append("\t},")
    o.append("};")
    o.append("")
    o.append("const size_t status_locale_count = sizeof(status_locales) / sizeof(status_locales[0]);")
    return "\n".join(o) + "\n"


def main():
    ap = argparse.ArgumentParser(description="Generate the SIP response-code table.")
    ap.add_argument("--data", default=DATA, help="data directory (default: data/status)")
    ap.add_argument("--out", default=OUT, help="output file (default: src/msg/status_table.c)")
    args = ap.parse_args()
    try:
        classes, codes = load_canonical(args.data)
        locales = load_locales(args.data, codes)
    except (DataError, ValueError, KeyError, TypeError, AttributeError, OSError) as e:
        # json.JSONDecodeError is a ValueError and names the line and column.
        print(f"gen_status.py: invalid data in {args.data}: {e}", file=sys.stderr)
        return 1
    out = generate(classes, codes, locales)
    old = None
    if os.path.exists(args.out):
        with open(args.out, encoding="utf-8") as f:
            old = f.read()
    if out != old:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(out)
    print(f"gen_status.py: {len(codes)} codes, locales {', '.join(k for k, _ in locales)} -> {os.path.relpath(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
