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

from .. import conf
from .base import ChannelBackend, OutgoingMessage, PermanentChannelError, SendResult, TransientChannelError
from .safety import UnsafeDestination, check_email


class EmailChannel(ChannelBackend):
    kind = "email"
    label = "Email"
    secret_hint = "e.g. password=… (SMTP) or api_key=… (anymail provider)"
    address_field = "email"

    def send(self, message: OutgoingMessage) -> SendResult:
        config = self.channel.config or {}
        try:
            check_email(config, self.channel.secrets or {}, resolve=True)
        except UnsafeDestination as error:
            raise PermanentChannelError(f"refused email backend: {error}") from error
        except OSError as error:
            raise TransientChannelError(str(error)) from error
        connection = get_connection(backend=config.get("backend") or None, fail_silently=False,
                                    **(self.channel.secrets or {}))
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
            raise TransientChannelError(str(error)) from error
        if not sent:
            raise TransientChannelError("the email backend accepted no message")
        esp_id = getattr(getattr(email, "anymail_status", None), "message_id", None)
        return SendResult(provider_message_id=esp_id or message_id, response="accepted by the email backend")
