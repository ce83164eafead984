#!/usr/bin/python3
"""Parses an email (the file named on the command line) with Python's email package, an
implementation independent of the one that wrote it, and prints what the alerts tests
check as JSON: headers, the MIME tree, the text and HTML bodies, and every non-text part
with its disposition, file name, Content-ID and sha256."""
import email
import email.policy
import hashlib
import json
import sys


def structure(part):
    if part.is_multipart():
        return "%s(%s)" % (part.get_content_type(), ",".join(structure(p) for p in part.iter_parts()))
    return part.get_content_type()


def main():
    with open(sys.argv[1], "rb") as f:
        message = email.message_from_bytes(f.read(), policy=email.policy.default)
    out = {"headers": {k: str(v) for k, v in message.items()}, "structure": structure(message), "parts": []}
    for part in message.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        if kind == "text/plain":
            out["text"] = part.get_content()
        elif kind == "text/html":
            out["html"] = part.get_content()
        else:
            data = part.get_payload(decode=True)
            out["parts"].append({
                "content_type": kind,
                "disposition": part.get_content_disposition(),
                "filename": part.get_filename(),
                "content_id": part.get("Content-ID"),
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            })
    out["defects"] = [str(d) for d in message.defects]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
