#!/usr/bin/python3
"""An SMTP server for the alerts tests and benchmark (Debian's python3-aiosmtpd).

Every accepted message is saved under --dir as NNNNNN.eml (the bytes received) and
NNNNNN.json ({"received_ms", "mail_from", "rcpt_tos", "auth_login", "tls", "peer"}), written to a
temporary name and renamed, so a reader never sees half a message. When listening, the
bound port is written to <dir>/ready.

  /usr/bin/python3 tools/smtp_receiver.py --dir /tmp/mail --port 0
      [--starttls CERT KEY]   offer STARTTLS and require it before MAIL
      [--tls CERT KEY]        implicit TLS (smtps)
      [--auth USER:PASSWORD]  require AUTH (PLAIN/LOGIN)
      [--hang-on N]           message N (1-based, counting those already in --dir): save it, write <dir>/hanging, and never
                              answer (a client killed then has sent a message whose
                              acceptance it never saw: the at-least-once duplicate)

Stops on SIGTERM/SIGINT. Needs /usr/bin/python3 (aiosmtpd is not in the pyenv python).
"""
import argparse
import asyncio
import json
import os
import signal
import ssl
import sys
import time
import warnings

from aiosmtpd.smtp import SMTP, AuthResult


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


class Handler:
    def __init__(self, directory, hang_on):
        self.directory = directory
        self.hang_on = hang_on
        # A restarted server (same --dir) numbers on after the messages it already has.
        self.count = len([n for n in os.listdir(directory) if n.endswith(".json")])

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        n = self.count
        name = os.path.join(self.directory, "%06d" % n)
        meta = {
            "received_ms": int(time.time() * 1000),
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "auth_login": session.auth_data if isinstance(session.auth_data, str) else None,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            # The client's address and port: one value for every message of one session.
            "peer": "%s:%d" % tuple(session.peer[:2]),
        }
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        write_atomic(name + ".eml", content)
        write_atomic(name + ".json", json.dumps(meta).encode())
        if n == self.hang_on:
            write_atomic(os.path.join(self.directory, "hanging"), b"%d" % n)
            await asyncio.sleep(3600)
        return "250 OK message accepted"


def tls_context(cert, key):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth", metavar="USER:PASSWORD")
    parser.add_argument("--hang-on", type=int, default=0)
    args = parser.parse_args()
    # aiosmtpd warns about its own deprecated attributes and about AUTH without TLS
    # (which only the tests on 127.0.0.1 use): noise in test logs.
    warnings.simplefilter("ignore")
    os.makedirs(args.dir, exist_ok=True)
    handler = Handler(args.dir, args.hang_on)

    kwargs = {"enable_SMTPUTF8": True, "hostname": "tilescope-test"}
    if args.starttls:
        kwargs["tls_context"] = tls_context(*args.starttls)
        kwargs["require_starttls"] = True
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login.decode() == user and auth_data.password.decode() == password
            # handled=False: aiosmtpd answers 535 itself (True means "already answered").
            return AuthResult(success=ok, handled=False, auth_data=auth_data.login.decode() if ok else None)

        kwargs["authenticator"] = authenticator
        kwargs["auth_required"] = True
        # Plain-text AUTH is allowed only because the tests run on 127.0.0.1.
        kwargs["auth_require_tls"] = bool(args.starttls)
    ssl_context = tls_context(*args.tls) if args.tls else None

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, loop=loop, **kwargs), args.host, args.port, ssl=ssl_context, reuse_address=True))
    port = server.sockets[0].getsockname()[1]
    write_atomic(os.path.join(args.dir, "ready"), str(port).encode())
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    try:
        loop.run_forever()
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
