"""WhatsApp through Meta's WhatsApp Business Cloud API: POST {api}/{phone_number_id}/messages.

Channel.config: ``phone_number_id``, ``business_account_id`` (optional, for agencies),
``test_template`` / ``test_language`` (what a test send uses; default Meta's sample ``hello_world``
in ``en_US``), ``api_base`` (default ``whatsapp_cloud.GRAPH_API``; checked by the address guard like
every provider URL). Channel.secrets: ``access_token`` (bearer), ``app_secret`` (the webhook's
signature) and ``verify_token`` (the webhook subscription's challenge; shown back, generated when left
empty) — the last two are read by the webhook in ``signals/``.

What goes: the message's approved template (``provider_template``: name, language, parameters) when
it has one — a business-initiated message, allowed at any time; else free text, only while the
customer's 24-hour window is open (``window_open``, from when they last wrote). Outside the window
with no template nothing is requested: the send fails in words.

Why Masa's own HTTP edge and not pywa: a send is one documented JSON request. Through ``http`` it
gets what every channel has — the address guard (an agency's ``api_base`` cannot reach the
server's own network), one timeout policy, short provider answers on the Delivery, and tests that
mock only the network edge. pywa would bring its own client, webhook server and retry behaviour,
none of which Masa wants inside a channel.

Idempotency: the Cloud API has no idempotency key. A re-sent message carries the same stable id in
``biz_opaque_callback_data`` (Meta echoes it in status webhooks), and Masa stores the Delivery before
sending and never re-sends one marked sent; a worker that dies between Meta's answer and the commit
can still send it twice.
"""
from __future__ import annotations

import re

import httpx
from django.utils.translation import gettext_lazy as _

from .. import whatsapp_cloud
from . import http
from .base import ChannelBackend, OutgoingMessage, PermanentChannelError, SendResult, TransientChannelError
from .setup import URL, Provider, Setting

DEFAULT_TEST_TEMPLATE, DEFAULT_TEST_LANGUAGE = "hello_world", "en_US"
# Meta refuses template parameters with new lines, tabs or more than four spaces in a row.
PARAMETER_SPACES = re.compile(r"[\t\r\n]+| {5,}")

CLOUD_API = Provider(
    key="cloud_api", label=_("Meta's Cloud API"),
    description=_("Meta's WhatsApp Business Platform: messages from your business's WhatsApp number, "
                  "set up in your Meta app's WhatsApp settings."),
    settings=(
        Setting("phone_number_id", _("Phone number ID"), missing=_("Enter the phone number ID from Meta"),
                placeholder="106540352242922",
                help=_("A long number Meta shows beside your business phone number (WhatsApp › API Setup in "
                       "your Meta app) — not the phone number itself.")),
        Setting("access_token", _("Access token"), secret=True,
                missing=_("Enter the access token of your Meta app"),
                help=_("A permanent token of a system user with the WhatsApp messaging permission "
                       "(Business settings › System users).")),
        Setting("app_secret", _("App secret"), secret=True, missing=_("Enter your Meta app's secret"),
                help=_("In your Meta app's basic settings. Masa checks with it that replies and delivery "
                       "reports really come from WhatsApp.")),
        Setting("verify_token", _("Verify token"), in_secrets=True, generated=True,
                help=_("Copy it into your Meta app's WhatsApp webhook settings. Leave it empty and Masa makes "
                       "one.")),
        Setting("test_template", _("Template for tests"), placeholder=DEFAULT_TEST_TEMPLATE, for_agencies=True,
                help=_("An approved template a test sends (a test starts a conversation, and only an approved "
                       "template may). Meta's sample “hello_world” if empty.")),
        Setting("test_language", _("Language of the test template"), placeholder=DEFAULT_TEST_LANGUAGE,
                for_agencies=True),
        Setting("business_account_id", _("WhatsApp Business Account ID"), for_agencies=True),
        Setting("api_base", _("Graph API address"), type=URL, placeholder=whatsapp_cloud.GRAPH_API,
                for_agencies=True, help=_("Leave empty for Meta's own.")),
    ))

NEEDED = (("phone_number_id", False, "phone number ID"), ("access_token", True, "access token"))


class WhatsAppChannel(ChannelBackend):
    kind = "whatsapp"
    label = _("WhatsApp")
    description = _("WhatsApp messages to your customers' phones from your business's WhatsApp number: approved "
                    "templates at any time, free text within 24 hours of the customer writing to you.")
    providers = (CLOUD_API,)
    address_field = "phone"
    url_fields = ("api_base",)

    @classmethod
    def problems(cls, config: dict, secrets: dict) -> list[str]:
        found = [str(s.missing) for s in CLOUD_API.settings
                 if s.required and not (secrets if s.stored_in_secrets else config).get(s.name)]
        number_id = str((config or {}).get("phone_number_id", ""))
        if number_id and not number_id.isdigit():
            found.append(str(_("The phone number ID is digits only (the ID Meta shows beside the number, "
                               "not the number itself).")))
        return found

    def test_message(self, to: str, text: str, subject: str = "", html_body: str = "") -> OutgoingMessage:
        """A test starts a conversation: it is the configured approved template, without parameters."""
        config = self.channel.config or {}
        template = {"name": config.get("test_template") or DEFAULT_TEST_TEMPLATE,
                    "language": config.get("test_language") or DEFAULT_TEST_LANGUAGE, "parameters": []}
        return OutgoingMessage(to=to, subject=subject, body=text, provider_template=template)

    def send(self, message: OutgoingMessage) -> SendResult:
        config, secrets = self.channel.config or {}, self.channel.secrets or {}
        missing = [words for name, secret, words in NEEDED if not (secrets if secret else config).get(name)]
        if missing:
            raise PermanentChannelError(f"the WhatsApp channel is missing its {' and '.join(missing)}")
        if not str(config["phone_number_id"]).isdigit():  # it is a path segment of the request
            raise PermanentChannelError("the WhatsApp channel's phone number ID is not digits only")
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": self._recipient(message)}
        payload.update(self._content(message))
        if message.key:
            payload["biz_opaque_callback_data"] = message.stable_id
        url = f"{(config.get('api_base') or whatsapp_cloud.GRAPH_API).rstrip('/')}/{config['phone_number_id']}/messages"
        request = httpx.Request("POST", url, json=payload,
                                headers={"Authorization": f"Bearer {secrets['access_token']}"})
        response = http.exchange(request)
        answer = _json(response)
        if response.is_success:
            sent = answer.get("messages") or [{}]
            sent = sent[0] if isinstance(sent, list) and isinstance(sent[0], dict) else {}
            return SendResult(provider_message_id=str(sent.get("id", ""))[:255],
                              response=http.answer_summary(response))
        raise _failure(response, answer)

    @staticmethod
    def _recipient(message: OutgoingMessage) -> str:
        """The customer's number as Meta wants it: digits with the country code, no "+"."""
        if not message.to.strip():
            raise PermanentChannelError("the customer has no phone number")
        number = whatsapp_cloud.normalize_number(message.to)
        if not number:
            raise PermanentChannelError("the customer's phone number is not in international form (a + and the "
                                        "country code, like +972501234567), so WhatsApp cannot reach it")
        return number[1:]

    @staticmethod
    def _content(message: OutgoingMessage) -> dict:
        template = message.provider_template
        if template:
            if not template.get("name") or not template.get("language"):
                raise PermanentChannelError("the message's WhatsApp template has no name or no language")
            content = {"name": str(template["name"]), "language": {"code": str(template["language"])}}
            parameters = [PARAMETER_SPACES.sub(" ", str(value)).strip() for value in template.get("parameters") or []]
            if parameters:
                content["components"] = [{"type": "body", "parameters": [
                    {"type": "text", "text": text} for text in parameters]}]
            return {"type": "template", "template": content}
        if not message.window_open:
            raise PermanentChannelError(
                "more than 24 hours since the customer last wrote on WhatsApp, and this message has no approved "
                "WhatsApp template: add one to the message's WhatsApp version")
        return {"type": "text", "text": {"preview_url": False, "body": message.body}}


def _json(response: httpx.Response) -> dict:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _failure(response: httpx.Response, answer: dict) -> Exception:
    """Meta's error answer as the channel error it is: the code decides (Meta builds on codes), and a
    code Masa does not know is as transient as its HTTP status (429, 5xx)."""
    error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
    code = error.get("code")
    if code is None:
        failing = TransientChannelError if response.status_code == 429 or response.status_code >= 500 \
            else PermanentChannelError
        return failing(http.answer_summary(response))
    details = error.get("error_data", {}).get("details", "") if isinstance(error.get("error_data"), dict) else ""
    words, retry = whatsapp_cloud.error_words(code, error.get("message", ""), details)
    if str(code) not in {str(known) for known in whatsapp_cloud.ERRORS}:
        retry = response.status_code == 429 or response.status_code >= 500
    return (TransientChannelError if retry else PermanentChannelError)(words)
