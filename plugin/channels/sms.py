"""SMS through an HTTP provider: a generic JSON API, or Twilio's Messages API (and compatibles).

Channel.config: ``provider`` (``http`` or ``twilio``), ``from_number``; for ``http``: ``url``,
``to_field`` / ``from_field`` / ``text_field`` (JSON names, default ``to`` / ``from`` / ``text``),
``id_field`` (where the provider's message id is in its answer, default ``id``); for ``twilio``:
``account_sid`` and optionally ``base_url`` (a compatible provider). Channel.secrets: ``token``
(sent as a bearer token) for ``http``, ``auth_token`` for ``twilio``.

Replies come in at ``signals.sms_webhook``: Twilio's are signed with ``auth_token``; a generic
provider's carry ``inbound_token`` (in secrets, shown back, made when left empty), and their field
names are ``inbound_from_field`` / ``inbound_text_field`` / ``inbound_id_field`` (default ``from`` /
``text`` / ``id``).
"""
from __future__ import annotations

from dataclasses import dataclass

import httpx
from django.utils.translation import gettext_lazy as _

from . import http
from .base import ChannelBackend, OutgoingMessage, PermanentChannelError, SendResult
from .setup import SENDER, URL, Provider, Setting

TWILIO_API = "https://api.twilio.com"
# The GSM 03.38 default alphabet, and its extension table (each of those takes two septets).
GSM_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
                "¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENSION = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsParts:
    """How a text goes as SMS: GSM-7 (160 a message, 153 a part) or UCS-2 for anything else, Hebrew
    included (70 a message, 67 a part)."""

    encoding: str
    length: int
    segments: int


def sms_parts(text: str) -> SmsParts:
    if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text):
        length = sum(2 if c in GSM_EXTENSION else 1 for c in text)
        single, part = 160, 153
        encoding = "GSM-7"
    else:
        length = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
        single, part = 70, 67
        encoding = "UCS-2"
    segments = 0 if not length else 1 if length <= single else -(-length // part)
    return SmsParts(encoding, length, segments)


SENDER_NUMBER = Setting(
    "from_number", _("Sender's phone number"), missing=_("Enter the sender's phone number"), type=SENDER,
    placeholder="+972501234567",
    help=_("The number your messages come from, as your provider registered it, in international form "
           "(+972…)."))

GENERIC = Provider(
    key="http", label=_("Another SMS provider"), marks={"provider": "http"},
    description=_("Any SMS provider that sends a message when Masa posts it to an address, with an API key."),
    settings=(
        Setting("url", _("Sending address (URL)"), missing=_("Enter your SMS provider's sending address (URL)"),
                type=URL, placeholder="https://",
                help=_("The web address your provider's documentation gives for sending one message.")),
        SENDER_NUMBER,
        Setting("token", _("API key"), missing=_("Enter the API key your SMS provider gave you"), secret=True),
        Setting("to_field", _("Name of the recipient field"), placeholder="to", for_agencies=True),
        Setting("from_field", _("Name of the sender field"), placeholder="from", for_agencies=True),
        Setting("text_field", _("Name of the text field"), placeholder="text", for_agencies=True),
        Setting("id_field", _("Name of the message id in the answer"), placeholder="id", for_agencies=True),
        Setting("inbound_token", _("Token for replies"), in_secrets=True, generated=True,
                help=_("Your provider sends customers' replies with this token, to the address this page shows "
                       "once the channel is saved. Leave it empty and Masa makes one.")),
        Setting("inbound_from_field", _("Name of the sender field in replies"), placeholder="from",
                for_agencies=True),
        Setting("inbound_text_field", _("Name of the text field in replies"), placeholder="text", for_agencies=True),
        Setting("inbound_id_field", _("Name of the message id in replies"), placeholder="id", for_agencies=True),
    ))

TWILIO = Provider(
    key="twilio", label=_("Twilio"), marks={"provider": "twilio"},
    description=_("Twilio's SMS service (or a provider that works like Twilio)."),
    settings=(
        Setting("account_sid", _("Account SID"), missing=_("Enter your Twilio Account SID"), placeholder="AC…",
                help=_("On your Twilio console's home page.")),
        Setting("auth_token", _("Auth token"), missing=_("Enter your Twilio auth token"), secret=True,
                help=_("On your Twilio console's home page, beside the Account SID.")),
        SENDER_NUMBER,
        Setting("base_url", _("Address of a Twilio-compatible provider"), type=URL, for_agencies=True,
                placeholder=TWILIO_API, help=_("Leave empty for Twilio itself.")),
    ))


class SmsChannel(ChannelBackend):
    kind = "sms"
    label = _("SMS")
    description = _("Text messages to your customers' phones, through an SMS provider you have an account with.")
    providers = (TWILIO, GENERIC)
    config_defaults = {"provider": "http"}
    address_field = "phone"
    url_fields = ("url", "base_url")
    tracks_text_links = True

    def send(self, message: OutgoingMessage) -> SendResult:
        if not message.to:
            raise PermanentChannelError("the customer has no phone number")
        config, secrets = self.channel.config or {}, self.channel.secrets or {}
        if config.get("provider", "http") == "twilio":
            request, id_field = self._twilio(message, config, secrets), "sid"
        else:
            request, id_field = self._generic(message, config, secrets), config.get("id_field", "id")
        response = http.send(request)
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        return SendResult(provider_message_id=str(answer.get(id_field, ""))[:255], response=http.answer_summary(response))

    @staticmethod
    def _generic(message: OutgoingMessage, config: dict, secrets: dict) -> httpx.Request:
        if not config.get("url"):
            raise PermanentChannelError("the SMS channel has no provider url")
        payload = {config.get("to_field", "to"): message.to, config.get("text_field", "text"): message.body}
        if config.get("from_number"):
            payload[config.get("from_field", "from")] = config["from_number"]
        headers = {"Authorization": f"Bearer {secrets['token']}"} if secrets.get("token") else {}
        if message.key:
            headers["Idempotency-Key"] = message.stable_id
        return httpx.Request("POST", config["url"], json=payload, headers=headers)

    @staticmethod
    def _twilio(message: OutgoingMessage, config: dict, secrets: dict) -> httpx.Request:
        sid = config.get("account_sid")
        if not sid or not secrets.get("auth_token"):
            raise PermanentChannelError("the Twilio channel needs account_sid and auth_token")
        url = f"{config.get('base_url', TWILIO_API).rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
        data = {"To": message.to, "From": config.get("from_number", ""), "Body": message.body}
        basic = httpx.BasicAuth(sid, secrets["auth_token"])
        headers = {"I-Twilio-Idempotency-Token": message.stable_id} if message.key else {}
        return next(basic.auth_flow(httpx.Request("POST", url, data=data, headers=headers)))
