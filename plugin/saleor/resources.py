"""Saleor operations grouped by resource. Each method builds a flow (a generator that yields
``(document, variables)`` and receives the ``data``); the sync client runs it to a value, the async
client to an awaitable."""
from __future__ import annotations

from decimal import Decimal

from .errors import SaleorError, SaleorMutationError


def _payload(data: dict, mutation: str) -> dict:
    payload = data.get(mutation) or {}
    if payload.get("errors"):
        raise SaleorMutationError(mutation, payload["errors"])
    return payload


def _items(values: dict) -> list[dict]:
    return [{"key": key, "value": str(value)} for key, value in values.items()]


class _Resource:
    def __init__(self, client):
        self._client = client

    def _call(self, flow):
        return self._client.drive(flow)

    def _get(self, name: str, field: str, object_id: str):
        """Read one object by id; None when Saleor has no such object."""
        def flow():
            data = yield name, {"id": object_id}
            return data.get(field)
        return self._call(flow())


class Customers(_Resource):
    def get(self, customer_id: str):
        return self._get("customer", "user", customer_id)

    def update_private_metadata(self, customer_id: str, values: dict):
        """Write private metadata (e.g. ``masa.tier``); returns the customer's private metadata."""
        return self._write(customer_id, values, "update_private_metadata", "updatePrivateMetadata", "privateMetadata")

    def update_metadata(self, customer_id: str, values: dict):
        """Write public metadata; returns the customer's metadata."""
        return self._write(customer_id, values, "update_metadata", "updateMetadata", "metadata")

    def _write(self, customer_id: str, values: dict, name: str, mutation: str, field: str):
        def flow():
            data = yield name, {"id": customer_id, "input": _items(values)}
            return {entry["key"]: entry["value"] for entry in _payload(data, mutation)["item"][field]}
        return self._call(flow())


class Orders(_Resource):
    def get(self, order_id: str):
        return self._get("order", "order", order_id)


class Checkouts(_Resource):
    def get(self, checkout_id: str):
        return self._get("checkout", "checkout", checkout_id)


class Vouchers(_Resource):
    def create_single_use(self, *, code: str, name: str, channel: str, value: Decimal | float | str,
                          value_type: str = "PERCENTAGE", end_date: str | None = None):
        """A voucher usable once, by one customer, in one channel (by slug); returns its id.

        Saleor needs three calls: the channel's id, ``voucherCreate``, then
        ``voucherChannelListingUpdate`` for the amount. Idempotent by code: if the code exists
        (an earlier attempt got that far), that voucher is found and listed again.
        """
        def flow():
            data = yield "channel", {"slug": channel}
            found = data.get("channel")
            if not found:
                raise SaleorError(f"channel: no channel with slug {channel!r}")
            voucher_input = {"name": name, "addCodes": [code], "type": "ENTIRE_ORDER",
                             "discountValueType": value_type, "singleUse": True, "usageLimit": 1,
                             "applyOncePerCustomer": True}
            if end_date:
                voucher_input["endDate"] = end_date
            data = yield "voucher_create", {"input": voucher_input}
            errors = (data.get("voucherCreate") or {}).get("errors") or []
            if errors and all(error.get("code") in ("ALREADY_EXISTS", "UNIQUE") for error in errors):
                data = yield "voucher_by_code", {"code": code}
                # Saleor's search matches codes that contain the text: take the one that is it.
                exact = [edge["node"] for edge in data["vouchers"]["edges"] if edge["node"].get("code") == code]
                if not exact:
                    raise SaleorMutationError("voucherCreate", errors)
                voucher_id = exact[0]["id"]
            else:
                voucher_id = _payload(data, "voucherCreate")["voucher"]["id"]
            listing = {"addChannels": [{"channelId": found["id"], "discountValue": str(value)}]}
            data = yield "voucher_channel_listing_update", {"id": voucher_id, "input": listing}
            _payload(data, "voucherChannelListingUpdate")
            return voucher_id

        return self._call(flow())


class GiftCards(_Resource):
    def create(self, *, amount: Decimal | float | str, currency: str, email: str = "", channel: str = "",
               note: str = "", tags: list[str] | None = None):
        """An active gift card; returns ``{"id", "code"}``."""
        def flow():
            card_input = {"balance": {"amount": str(amount), "currency": currency}, "isActive": True,
                          "addTags": tags or ["masa"]}
            if email:
                card_input["userEmail"] = email
            if channel:
                card_input["channel"] = channel
            if note:
                card_input["note"] = note
            data = yield "gift_card_create", {"input": card_input}
            return _payload(data, "giftCardCreate")["giftCard"]
        return self._call(flow())


class Webhooks(_Resource):
    def mine(self) -> list[dict]:
        """The webhooks of the app whose token this client holds."""
        def flow():
            data = yield "app_webhooks", {}
            return (data.get("app") or {}).get("webhooks") or []
        return self._call(flow())

    def create(self, *, name: str, target_url: str, events: list[str], query: str, active: bool = True):
        def flow():
            data = yield "webhook_create", {"input": {"name": name, "targetUrl": target_url,
                                                      "asyncEvents": events, "query": query, "isActive": active}}
            return _payload(data, "webhookCreate")["webhook"]
        return self._call(flow())

    def update(self, webhook_id: str, *, name: str, target_url: str, events: list[str], query: str, active: bool = True):
        def flow():
            data = yield "webhook_update", {"id": webhook_id, "input": {
                "name": name, "targetUrl": target_url, "asyncEvents": events, "query": query, "isActive": active}}
            return _payload(data, "webhookUpdate")["webhook"]
        return self._call(flow())
