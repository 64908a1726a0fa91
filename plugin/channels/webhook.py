"""A signed outgoing webhook: the rendered message as JSON, POSTed to the shop's endpoint.

Channel.config: ``url``. Channel.secrets: ``signing_secret``. Headers: ``X-Masa-Timestamp``
(Unix seconds) and ``X-Masa-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``; a
receiver recomputes it and rejects stale timestamps. Retries are the scheduler's (5xx, timeouts).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import httpx
from django.utils.translation import gettext_lazy as _

from . import http
from .base import ChannelBackend, OutgoingMessage, PermanentChannelError, SendResult
from .setup import URL, Provider, Setting


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookChannel(ChannelBackend):
    kind = "webhook"
    label = _("Signed webhook")
    description = _("Each message posted, signed, to a web address of yours, for another system to deliver "
                    "(set up with a developer).")
    providers = (Provider(
        key="webhook", label=_("Signed webhook"), description=description,
        settings=(
            Setting("url", _("Address (URL)"), missing=_("Enter the address (URL) Masa should post messages to"),
                    type=URL, placeholder="https://",
                    help=_("A public https:// address of the system that receives the messages.")),
            Setting("signing_secret", _("Signing secret"), secret=True,
                    missing=_("Enter a signing secret (a long random text the receiving system also knows)"),
                    help=_("Masa signs every message with it, so the receiver knows it came from your shop.")),
        )),)
    address_field = "email"
    url_fields = ("url",)

    def send(self, message: OutgoingMessage) -> SendResult:
        config, secrets = self.channel.config or {}, self.channel.secrets or {}
        if not config.get("url") or not secrets.get("signing_secret"):
            raise PermanentChannelError("the webhook channel needs a url and a signing_secret")
        message_id = message.stable_id or str(uuid.uuid4())
        body = json.dumps({"id": message_id, "to": message.to, "subject": message.subject, "body": message.body,
                           "html_body": message.html_body}, ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "X-Masa-Timestamp": timestamp, "Idempotency-Key": message_id,
                   "X-Masa-Signature": signature(secrets["signing_secret"], timestamp, body)}
        response = http.send(httpx.Request("POST", config["url"], content=body, headers=headers))
        return SendResult(provider_message_id=message_id, response=http.answer_summary(response))
