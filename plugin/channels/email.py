"""Email through a Django email backend (SMTP, console, or any anymail provider).

Channel.config: ``from_email``, ``backend`` (one of ``MASA["EMAIL_BACKENDS"]``; Django's
EMAIL_BACKEND when empty), ``reply_to``. Channel.secrets are passed to the backend as keyword
options, known names only (``safety.EMAIL_OPTIONS``: SMTP password, an ESP's api_key…).
"""
from __future__ import annotations

import smtplib
import socket

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy as _

from .. import conf
from .base import ChannelBackend, OutgoingMessage, PermanentChannelError, SendResult, TransientChannelError
from .safety import UnsafeDestination, allowed_email_backends, check_email
from .setup import EMAIL, FLAG, NUMBER, Provider, Setting

SENDER = Setting("from_email", _("Sender's email address"), missing=_("Enter the sender's email address"),
                 type=EMAIL, placeholder="care@yourshop.co.il",
                 help=_("Your customers see it as the sender; use an address of your shop's own domain."))
REPLY_TO = Setting("reply_to", _("Replies go to"), type=EMAIL,
                   help=_("Where your customers' answers arrive; leave empty for the sender's address."))


def isolated(name: str) -> str:
    """A service's name inside a sentence of the owner's language, as data (Unicode's isolates)."""
    return f"\u2068{name}\u2069"


def api_key(label=_("API key"), name="api_key", missing=_("Enter the API key your email service gave you")):
    return Setting(name, label, missing=missing, secret=True)


def esp(name: str, label: str, *settings: Setting) -> Provider:
    """An email service, sent to through its django-anymail backend."""
    description = lazy(lambda: gettext("Email through your %(service)s account.") % {"service": isolated(label)}, str)()
    return Provider(key=name, label=label, marks={"backend": f"anymail.backends.{name}.EmailBackend"},
                    description=description,
                    settings=(SENDER, REPLY_TO, *settings))


PROVIDERS = (
    Provider(key="site", label=_("This site's email"), marks={"backend": ""}, settings=(SENDER, REPLY_TO),
             description=_("Email as the site is already set up to send it (ask whoever runs the site).")),
    Provider(key="smtp", label=_("A mail server (SMTP)"),
             marks={"backend": "django.core.mail.backends.smtp.EmailBackend"},
             description=_("Email through a mail server you have an account on."),
             settings=(
                 SENDER, REPLY_TO,
                 Setting("host", _("Server"), missing=_("Enter the mail server's name"), in_secrets=True,
                         placeholder="smtp.yourprovider.com"),
                 Setting("port", _("Port"), missing=_("Enter the mail server's port"), type=NUMBER, in_secrets=True,
                         placeholder="587", help=_("Usually 587.")),
                 Setting("username", _("User name"), missing=_("Enter the user name of the mail account"),
                         in_secrets=True),
                 Setting("password", _("Password"), missing=_("Enter the password of the mail account"), secret=True),
                 Setting("use_tls", _("Encrypt the connection (STARTTLS)"), type=FLAG, in_secrets=True),
             )),
    esp("sendgrid", "SendGrid", api_key()),
    esp("mailgun", "Mailgun", api_key(), Setting("sender_domain", _("Sending domain"), in_secrets=True,
                                                 help=_("Leave empty to use the sender's domain."))),
    esp("postmark", "Postmark", api_key(_("Server API token"), "server_token",
                                         _("Enter your Postmark server API token"))),
    esp("brevo", "Brevo", api_key()),
    esp("mailjet", "Mailjet", api_key(), api_key(_("Secret key"), "secret_key",
                                                 _("Enter the secret key your email service gave you"))),
    esp("resend", "Resend", api_key()),
)


class EmailChannel(ChannelBackend):
    kind = "email"
    label = _("Email")
    description = _("Messages by email, from your shop's address.")
    providers = PROVIDERS
    address_field = "email"

    @classmethod
    def available_providers(cls):
        allowed = set(allowed_email_backends())
        return tuple(p for p in cls.providers if not p.marks["backend"] or p.marks["backend"] in allowed)

    def __init__(self, channel):
        super().__init__(channel)
        self._connection = None  # the backend's connection, kept open between sends once opened

    def open(self) -> None:
        """Keep one connection to the email backend open for the sends that follow (``close``)."""
        try:
            self._connection = self._connect()
            self._connection.open()
        except (PermanentChannelError, TransientChannelError, smtplib.SMTPException, OSError):
            self._connection = None  # each send then connects and reports what fails

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except (smtplib.SMTPException, OSError):
                pass

    def _connect(self):
        config = self.channel.config or {}
        try:
            check_email(config, self.channel.secrets or {}, resolve=True)
        except UnsafeDestination as error:
            raise PermanentChannelError(f"refused email backend: {error}") from error
        except OSError as error:
            raise TransientChannelError(str(error)) from error
        return get_connection(backend=config.get("backend") or None, fail_silently=False,
                              **(self.channel.secrets or {}))

    def send(self, message: OutgoingMessage) -> SendResult:
        config = self.channel.config or {}
        connection = self._connection or self._connect()
        from_email = config.get("from_email") or conf.get("DEFAULT_FROM_EMAIL") or settings.DEFAULT_FROM_EMAIL
        domain = from_email.rsplit("@", 1)[-1]
        message_id = f"<masa.{message.stable_id}@{domain}>" if message.key else make_msgid(domain=domain)
        email = EmailMultiAlternatives(
            subject=message.subject, body=message.body, from_email=from_email,
            to=[address.strip() for address in message.to.split(",") if address.strip()],
            reply_to=[config["reply_to"]] if config.get("reply_to") else None,
            headers={"Message-ID": message_id, **(message.headers or {})}, connection=connection,
        )
        if message.html_body:
            email.attach_alternative(message.html_body, "text/html")
        try:
            sent = email.send()
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            raise PermanentChannelError(str(error)) from error
        except (smtplib.SMTPException, socket.error, TimeoutError) as error:
            if connection is self._connection:
                self.close()  # the next send connects anew
            raise TransientChannelError(str(error)) from error
        if not sent:
            raise TransientChannelError("the email backend accepted no message")
        esp_id = getattr(getattr(email, "anymail_status", None), "message_id", None)
        return SendResult(provider_message_id=esp_id or message_id, response="accepted by the email backend")
