"""Shared by the outreach tests: customers, campaigns, links read out of sent messages, and two small local
servers that speak the protocols the product talks to (a Twilio-compatible SMS API, an SMTP server)."""

from __future__ import annotations

import base64
import json
import re
import socketserver
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from django.core import mail
from django.test import TestCase

from cxloop.customers.schemas import CustomerRef
from cxloop.customers.services import customer_upsert
from cxloop.outreach import services
from cxloop.outreach.audience import Audience

SMS_SID = "AC0123456789abcdef"
SMS_TOKEN = "sms-secret-token"
SMS_FROM = "+15005550006"
REFUSED_NUMBER = "+15005550001"  # the local SMS server answers 400 for this one, like Twilio does


def customer(workspace, email=None, **fields):
    found, _ = customer_upsert(workspace=workspace, ref=CustomerRef(email=email, **fields))
    return found


def send(workspace, survey, *, entries=None, channel="email", expires=14, reminder=None, actor=None, **kw):
    """A campaign to the pasted `entries` (all customers when None), sent inline (its on-commit tasks run)."""
    audience = Audience(kind="list", entries=entries) if entries is not None else Audience(kind="all")
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.campaign_create_and_send(
            workspace=workspace,
            survey=survey,
            actor=actor,
            audience=audience,
            channel=channel,
            expires_after_days=expires,
            reminder_after_days=reminder,
            **kw,
        )


def mail_to(address: str):
    return [m for m in mail.outbox if address in m.to]


def html_of(message) -> str:
    return next(content for content, kind in message.alternatives if kind == "text/html")


def links_in(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+", text)


def path_of(url: str) -> str:
    parts = urlsplit(url.replace("&amp;", "&"))
    return parts.path + (f"?{parts.query}" if parts.query else "")


def invitation_link(message, params: str | None = None) -> str:
    """The personal survey link in a message: its path, with the score link's query string `params` (e.g.
    "nps=9") or, when None, without a query string."""
    for url in links_in(message.body):
        parts = urlsplit(url)
        if "/i/" not in parts.path:
            continue
        if params is None:
            return parts.path
        if parts.query == params:
            return path_of(url)
    raise AssertionError(f"no invitation link with query {params!r} in:\n{message.body}")


# -- a Twilio-compatible SMS API --------------------------------------------------------------------------
@dataclass
class SmsServer:
    url: str
    requests: list[dict] = field(default_factory=list)


class _SmsHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        auth = self.headers.get("Authorization", "")
        user_pass = (
            base64.b64decode(auth.removeprefix("Basic ")).decode() if auth.startswith("Basic ") else ""
        )
        self.server.recorded.append({"path": self.path, "auth": user_pass, "form": form})
        if user_pass != f"{SMS_SID}:{SMS_TOKEN}":
            return self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
        if form.get("To") == REFUSED_NUMBER:
            return self._answer(
                400,
                {
                    "code": 21211,
                    "message": f"The 'To' number {REFUSED_NUMBER} is not a valid phone number.",
                    "more_info": "https://www.twilio.com/docs/errors/21211",
                    "status": 400,
                },
            )
        return self._answer(201, {"sid": f"SM{len(self.server.recorded):032d}", "status": "queued"})

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def start_sms_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SmsHandler)
    server.recorded = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, SmsServer(url=f"http://127.0.0.1:{server.server_address[1]}", requests=server.recorded)


# -- an SMTP server that refuses some recipients ----------------------------------------------------------
class _SmtpHandler(socketserver.StreamRequestHandler):
    def _reply(self, line: str):
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        server = self.server
        self._reply("220 localhost test SMTP")
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            command = raw.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._reply("250 localhost")
            elif verb == "MAIL":
                self._reply("250 OK")
            elif verb == "RCPT":
                address = command.split(":", 1)[1].strip().strip("<>").lower()
                if address in server.refused:
                    self._reply("550 5.1.1 No such user here")
                else:
                    server.accepted.append(address)
                    self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(line)
                server.messages.append(b"".join(lines).decode("utf-8", "replace"))
                self._reply("250 OK queued")
            elif verb == "RSET" or verb == "NOOP":
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 Bye")
                return
            else:
                self._reply("502 Command not implemented")


def start_smtp_server(refused: set[str]):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.daemon_threads = True
    server.refused = {a.lower() for a in refused}
    server.accepted = []
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server
