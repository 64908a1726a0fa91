"""``send``: a message template through a channel (or ``channel: preferred``: the one of
``channels`` the customer answers best, chosen when it falls due), optionally with a single-use
voucher and a cross-sell recommendation; marketing (consent, caps, quiet hours) unless
``class: transactional``."""
from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ....preference import PREFERRED
from ....values import is_number
from ..base import Build, EditableField, StepKind, ref
from .schema import PREFERRED_KINDS, SEND

LATIN = re.compile("[A-Za-z]")
MESSAGE_CLASSES = {"marketing", "transactional"}
OPTIONS = {"template", "channel", "channels", "class", "voucher", "recommend"}


def message_argument(params: dict) -> dict:
    """What a message action's params say of its step: its template, channel(s) and class."""
    return {key: params[key] for key in ("template", "channel", "channels", "class") if key in params}


class Send(StepKind):
    name = "send"
    plans = "send"
    sends_message = True
    example = {"template": "thank-you", "channel": "email", "class": "transactional"}
    label = gettext_lazy("Send")
    schema = ref("send")
    schema_defs = {"send": SEND}

    def compile(self, compiler, build: Build, argument) -> None:
        where = f"{build.where}.send"
        if not isinstance(argument, dict) or not argument.get("template"):
            compiler.fail(where, "needs a 'template'")
        unknown = set(argument) - OPTIONS
        if unknown:
            compiler.fail(f"{where}.{sorted(unknown)[0]}",
                          "unknown option; one of template, channel, channels, class, voucher, recommend")
        message_class = argument.get("class", "marketing")
        if message_class not in MESSAGE_CLASSES:
            compiler.fail(f"{where}.class", f"one of {sorted(MESSAGE_CLASSES)}")
        params = {"channel": argument.get("channel", "email"), "template": argument["template"], "class": message_class}
        if params["channel"] == PREFERRED or "channels" in argument:
            params["channels"] = self.preferred(compiler, where, argument)
        if "voucher" in argument:
            params["reward"] = {"voucher": self.voucher(compiler, f"{where}.voucher", argument["voucher"])}
        if "recommend" in argument:
            params["recommend"] = self.recommend(compiler, f"{where}.recommend", argument["recommend"])
        build.schedule(self.plans, params)

    def describe(self, argument, words) -> str:
        channel = argument.get("channel", "email")
        template = words.template(argument["template"])
        phrase = {"email": _("email {template}"), "sms": _("text {template}"),
                  "whatsapp": _("send {template} on WhatsApp"), "webhook": _("call the shop's webhook with {template}")}.get(channel)
        if channel == PREFERRED:
            phrase = words.say(_("send {template} on the channel the customer answers best: {channels}"),
                               template=template, channels=self.fallbacks(argument.get("channels"), words))
        elif phrase:
            phrase = words.say(phrase, template=template)
        else:
            phrase = words.say(_("send {template} through {channel}"), template=template, channel=words.name(channel))
        if "voucher" in argument:
            voucher = argument["voucher"]
            value = words.value(voucher.get("value"))
            amount = f"{value:g}%" if voucher.get("type", "percentage") == "percentage" and isinstance(value, (int, float)) \
                else str(value)
            phrase = words.say(_("{phrase} with a single-use {amount} voucher"), phrase=phrase, amount=words.name(amount))
        if "recommend" in argument:
            phrase = words.say(_("{phrase} recommending {product}"), phrase=phrase,
                               product=words.name(argument["recommend"].get("name", "")))
        if words.value(argument.get("class", "marketing")) == "transactional":
            phrase = words.say(_("{phrase} (a service message: sent without marketing consent)"), phrase=phrase)
        return phrase

    @staticmethod
    def preferred(compiler, where, argument) -> list[str]:
        """``channel: preferred`` with ``channels: [whatsapp, sms, email]``: the kinds to choose
        among at due time (``preference.choose``), the first the default channel."""
        channels = argument.get("channels")
        if argument.get("channel") != PREFERRED:
            compiler.fail(f"{where}.channels", "only with channel: preferred (a single channel is given as channel)")
        if not isinstance(channels, list) or not channels:
            compiler.fail(f"{where}.channels", "channel: preferred needs channels: the channel kinds to choose among, "
                                               "in order, e.g. [whatsapp, sms, email]")
        for position, kind in enumerate(channels):
            if kind not in PREFERRED_KINDS:
                compiler.fail(f"{where}.channels[{position}]",
                              f"unknown channel kind {kind!r}; one of {', '.join(PREFERRED_KINDS)}")
        if len(set(channels)) != len(channels):
            compiler.fail(f"{where}.channels", "names a channel kind twice")
        return list(channels)

    @staticmethod
    def recommend(compiler, where, argument) -> dict:
        """The product a cross-sell offers: ``{{ recommendation.name }}``, ``.url``, ``.price``, ``.product``."""
        if not isinstance(argument, dict) or not isinstance(argument.get("name"), str) or not argument["name"]:
            compiler.fail(where, "needs a 'name' (and optionally url, price, product)")
        unknown = set(argument) - {"name", "url", "price", "product"}
        if unknown:
            compiler.fail(f"{where}.{sorted(unknown)[0]}", "unknown option; one of name, url, price, product")
        if "price" in argument and not is_number(argument["price"]):
            compiler.fail(f"{where}.price", "must be a number")
        if "url" in argument and not str(argument["url"]).startswith(("https://", "http://")):
            compiler.fail(f"{where}.url", "must be an http(s) address")
        return {"name": argument["name"], "url": argument.get("url", ""), "price": argument.get("price", ""),
                "product": argument.get("product", "")}

    @staticmethod
    def voucher(compiler, where, argument) -> dict:
        if not isinstance(argument, dict):
            compiler.fail(where, "must be a mapping with value and channel")
        unknown = set(argument) - {"value", "type", "channel", "valid_days", "name", "prefix"}
        if unknown:
            compiler.fail(f"{where}.{sorted(unknown)[0]}", "unknown option; one of value, type, channel, valid_days, name, prefix")
        if not is_number(argument.get("value")) or argument["value"] <= 0:
            compiler.fail(f"{where}.value", "must be a number above 0")
        if argument.get("type", "percentage") not in ("percentage", "fixed"):
            compiler.fail(f"{where}.type", "one of fixed, percentage")
        if argument.get("type", "percentage") == "percentage" and argument["value"] > 100:
            compiler.fail(f"{where}.value", "a percentage cannot be above 100")
        if not isinstance(argument.get("channel"), str) or not argument["channel"]:
            compiler.fail(f"{where}.channel", "must name the Saleor channel (slug)")
        if "valid_days" in argument and (not isinstance(argument["valid_days"], int) or argument["valid_days"] < 1):
            compiler.fail(f"{where}.valid_days", "must be a whole number of days, at least 1")
        return dict(argument)

    @staticmethod
    def fallbacks(channels, words) -> str:
        """ "WhatsApp, else SMS, else email"."""
        names = {"whatsapp": _("WhatsApp"), "sms": _("SMS"), "email": _("email")}
        said = [words.emphasis(words.isolated(str(names[kind])) if LATIN.search(str(names[kind])) else names[kind])
                if kind in names else words.name(kind)  # "WhatsApp" in a Hebrew sentence keeps its own direction
                for kind in (channels if isinstance(channels, list) else [])]
        return words.concat(said, _(", else ")) if said else words.emphasis(_("email"))

    def planned_argument(self, params: dict):
        return message_argument(params)

    def templates(self, argument) -> set[str]:
        return {argument["template"]} if isinstance(argument, dict) and isinstance(argument.get("template"), str) else set()

    def fields(self, argument) -> list[EditableField]:
        if not isinstance(argument, dict):
            return []
        # every send has its channels field, so the owner can switch it to the preferred channel
        # (the form keeps ``channels`` only while ``channel`` is ``preferred``)
        return [EditableField(("send", "template"), "send — message", "template"),
                EditableField(("send", "channel"), "send — channel", "channel",
                              "A channel name or kind: email, sms, whatsapp, webhook, or preferred"),
                EditableField(("send", "channels"), "send — channels", "channels",
                              "The channel kinds to choose among, in order: whatsapp, sms, email", default=[]),
                EditableField(("send", "class"), "send — class", "message_class")]


KINDS = [Send()]
