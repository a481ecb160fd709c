#!/usr/bin/env python3
"""Extract the RFC 4475 and RFC 5118 torture messages into tests/data.

RFC 4475 (SIP torture tests): Appendix A carries every message bit-exact as a
base64, gzip-compressed tar archive between "-- BEGIN MESSAGE ARCHIVE --" and
"-- END MESSAGE ARCHIVE --". Like the Perl script of the RFC's Figure 58, this
keeps only the lines of that block that hold a single token (which drops page
footers and headers), base64-decodes them and unpacks the *.dat files into
tests/data/rfc4475/. The tarball is authoritative: the text of section 3 folds
long lines and marks bytes with <allOneLine> and <hex>, the archive does not.

RFC 5118 (IPv6 torture tests) also has an archive, but its files have LF-only
line endings (not SIP) and the last two lack the blank line that ends the
headers, so the messages are taken from the text of section 4 instead: the
figure after each "Message Details: <name>" line, indented 6 columns, up to the
next paragraph. Lines folded for print are wrapped in <allOneLine>...</allOneLine>
(RFC 4475 section 2.1) and are joined; the indent is removed; every line ends in
CRLF and the headers end with an empty line. As a check, each message is then
compared with the archive's file of the same name after turning its LF into
CRLF: the script fails if they differ in anything but line endings. Output:
tests/data/rfc5118/<name>.dat.

Note: the Content-Length values of three 5118 messages do not match their
bodies once lines end in CRLF (ipv6-in-sdp says 268 for 251 bytes); the files
keep the RFC's bytes and tests/unit/msg/test_torture.c says what siphon does.

Usage: scripts/extract_torture.py [RFC_DIR] [DATA_DIR]
  defaults: ../shared/rfc and tests/data (relative to the repository root).
Re-running overwrites the files with identical bytes.
"""
import base64
import io
import os
import re
import sys
import tarfile


def read_archive(rfc_path):
    """The decoded tar archive of an RFC's Appendix A (Figure 58's algorithm)."""
    inside = False
    chunks = []
    with open(rfc_path, encoding="ascii") as f:
        for line in f:
            if "-- BEGIN MESSAGE ARCHIVE --" in line:
                inside = True
                continue
            if "-- END MESSAGE ARCHIVE --" in line:
                break
            if inside and re.fullmatch(r"\s*\S+\s*", line):
                chunks.append(line.strip())
    return tarfile.open(fileobj=io.BytesIO(base64.b64decode("".join(chunks))), mode="r:*")


def extract_4475(rfc_path, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    names = []
    with read_archive(rfc_path) as tar:
        for member in tar.getmembers():
            if not member.isfile() or not member.name.endswith(".dat"):
                continue
            name = os.path.basename(member.name)
            # Never trust a path from an archive: keep only a plain file name.
            if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
                raise SystemExit("unexpected member name %r" % member.name)
            content = tar.extractfile(member).read()
            with open(os.path.join(out_dir, name), "wb") as out:
                out.write(content)
            names.append(name)
    return sorted(names)


def page_clean(lines):
    """Drop the RFC page furniture (footer, form feed, header) from a text."""
    out = []
    for line in lines:
        if line.startswith("\f"):
            continue
        if re.match(r"^RFC 5118 .* \d{4}$", line):
            continue
        if re.match(r"^Hasebe, et al\..*\[Page \d+\]$", line):
            continue
        out.append(line)
    return out


def extract_5118(rfc_path, out_dir):
    with open(rfc_path, encoding="ascii") as f:
        lines = page_clean(f.read().split("\n"))
    os.makedirs(out_dir, exist_ok=True)
    names = []
    i = 0
    while i < len(lines):
        m = re.match(r"^\s+Message Details\s*:\s*(\S+)\s*$", lines[i])
        if not m:
            i += 1
            continue
        name = m.group(1)
        # The message starts after the blank line that follows the details line.
        i += 1
        while i < len(lines) and lines[i].strip() == "":
            i += 1
        # The figure is indented 6 columns; it ends at the first non-blank
        # line indented less (the next paragraph or section heading).
        body = []
        while i < len(lines) and (lines[i].strip() == "" or lines[i].startswith("      ")):
            body.append(lines[i])
            i += 1
        msg = render(body)
        with open(os.path.join(out_dir, name + ".dat"), "wb") as out:
            out.write(msg)
        names.append(name + ".dat")
    check_5118(rfc_path, out_dir, names)
    return sorted(names)


def check_5118(rfc_path, out_dir, names):
    with read_archive(rfc_path) as tar:
        members = {os.path.basename(m.name): m for m in tar.getmembers() if m.isfile()}
        if sorted(n + ".dat" for n in members) != sorted(names):
            raise SystemExit("rfc5118: text and archive list different messages")
        for base, member in members.items():
            ref = tar.extractfile(member).read().replace(b"\n", b"\r\n")
            if b"\r\n\r\n" not in ref:
                ref += b"\r\n"
            with open(os.path.join(out_dir, base + ".dat"), "rb") as f:
                got = f.read()
            if got != ref:
                raise SystemExit("rfc5118: %s differs from the archive" % base)


def render(body):
    # Strip the blank lines page breaks leave at the end of a figure.
    while body and body[-1].strip() == "":
        body.pop()
    joined = []
    one_line = None
    for line in body:
        text = line[6:] if line.startswith("      ") else line.lstrip()
        if "<allOneLine>" in text:
            one_line = ""
            continue
        if "</allOneLine>" in text:
            joined.append(one_line)
            one_line = None
            continue
        if one_line is not None:
            one_line += text.strip()
        else:
            joined.append(text.rstrip())
    header_end = joined.index("") if "" in joined else len(joined)
    head = joined[:header_end]
    tail = joined[header_end + 1:]
    msg = "\r\n".join(head) + "\r\n\r\n"
    if tail:
        msg += "\r\n".join(tail) + "\r\n"
    return msg.encode("ascii")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rfc_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "rfc")
    data_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "tests", "data")
    a = extract_4475(os.path.join(rfc_dir, "rfc4475.txt"), os.path.join(data_dir, "rfc4475"))
    b = extract_5118(os.path.join(rfc_dir, "rfc5118.txt"), os.path.join(data_dir, "rfc5118"))
    print("rfc4475: %d files, rfc5118: %d files" % (len(a), len(b)))


if __name__ == "__main__":
    main()
