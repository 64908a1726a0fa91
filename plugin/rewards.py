"""Rewards issued in the store when a message that carries one is prepared: a single-use Saleor
voucher whose code goes into the message as ``{{ voucher.code }}``.

The code is derived from the action's idempotency key, so a retried send finds the voucher an
earlier attempt created instead of making a second one.
"""
from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta

from . import conf
from .saleor import SaleorClient, SaleorError, SaleorUnavailable


class RewardUnavailable(Exception):
    """The store could not be reached; try the send again later."""


class RewardRefused(Exception):
    """The store refused the reward or Masa cannot ask it; retrying will not help."""


def voucher_code(idempotency_key: str, prefix: str = "MASA") -> str:
    digest = hashlib.sha256(idempotency_key.encode()).digest()
    return f"{prefix}-{base64.b32encode(digest).decode()[:10]}"


def saleor_client() -> SaleorClient:
    """A client for the first configured store that has an ``app_token`` (``retry_backoff``:
    seconds before the first retry, default 0.5)."""
    for store in conf.get("SALEOR_STORES"):
        if store.get("app_token") and store.get("api_url"):
            return SaleorClient(store["api_url"], store["app_token"], backoff=store.get("retry_backoff", 0.5))
    raise RewardRefused("no store in MASA['SALEOR_STORES'] has an api_url and an app_token")


def issue(reward: dict, idempotency_key: str, now: datetime) -> dict:
    """Create the reward; returns the merge-tag values (``code``, ``value``, ``type``, ``valid_until``)."""
    spec = reward["voucher"]
    code = voucher_code(idempotency_key, spec.get("prefix", "MASA"))
    valid_until = (now + timedelta(days=spec["valid_days"])).date().isoformat() if spec.get("valid_days") else ""
    try:
        with saleor_client() as client:
            client.vouchers.create_single_use(
                code=code, name=spec.get("name") or f"Masa {code}", channel=spec["channel"], value=spec["value"],
                value_type=spec.get("type", "percentage").upper(), end_date=f"{valid_until}T23:59:59+00:00" if valid_until else None,
            )
    except SaleorUnavailable as error:
        raise RewardUnavailable(str(error)) from error
    except SaleorError as error:
        raise RewardRefused(str(error)) from error
    return {"code": code, "value": spec["value"], "type": spec.get("type", "percentage"), "valid_until": valid_until}
