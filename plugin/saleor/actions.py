"""Saleor actions: what Masa does in the store through the app's token when an action falls due.

* a single-use voucher, created when a message that carries one is prepared; its code goes into
  the message as ``{{ voucher.code }}``. The code is derived from the action's idempotency key,
  so a retried send finds the voucher an earlier attempt created instead of making a second one;
* customer private metadata (``masa.tier``, ``masa.category.<slug>`` …) written from facts.

Failures come back as ``ActionUnavailable`` (retry later) or ``ActionRefused`` (do not).
"""
from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta

from contextlib import contextmanager

from .. import conf
from ..models import Customer
from . import installation
from .client import SaleorClient, SaleorError, SaleorRequestError, SaleorUnavailable

METADATA_PREFIX = "masa."


class ActionUnavailable(Exception):
    """The store could not be reached; try again later."""


class ActionRefused(Exception):
    """The store refused, or Masa cannot ask it; retrying will not help."""


def voucher_code(idempotency_key: str, prefix: str = "MASA") -> str:
    digest = hashlib.sha256(idempotency_key.encode()).digest()
    return f"{prefix}-{base64.b32encode(digest).decode()[:10]}"


@contextmanager
def saleor_client(customer: Customer | None = None):
    """A client for the customer's store with its app token: installed from the Saleor dashboard
    (``installation``), else ``MASA["SALEOR_STORES"]`` with an ``app_token`` (``retry_backoff``:
    seconds before the first retry, default 0.5). A token the store answers 401 to marks the
    installed store *token rejected*. Only the customer's own store's token is used: a customer of
    store A is never written to, or given a voucher, through store B."""
    store = customer.store if customer is not None and customer.store else None
    found = installation.credentials(store)
    if found is None and store:
        raise ActionRefused(f"the customer's store {store} has no app token: install Masa from that store's "
                            f"dashboard, or give it an app_token in MASA['SALEOR_STORES']")
    if found is None:
        raise ActionRefused("no single Saleor store with a token: install Masa from the Saleor dashboard, "
                            "or give a store in MASA['SALEOR_STORES'] an app_token")
    api_url, token = found
    backoff = next((s.get("retry_backoff", 0.5) for s in conf.get("SALEOR_STORES") if s.get("api_url") == api_url), 0.5)
    try:
        with SaleorClient(api_url, token, backoff=backoff) as client:
            yield client
    except SaleorRequestError as error:
        if error.status == 401:
            installation.token_rejected(api_url, str(error))
        raise


def issue_reward(reward: dict, idempotency_key: str, now: datetime, customer: Customer | None = None) -> dict:
    """Create the reward; returns the merge-tag values (``code``, ``value``, ``type``, ``valid_until``)."""
    values = reward_values(reward, idempotency_key, now)
    spec, code, valid_until = reward["voucher"], values["code"], values["valid_until"]
    try:
        with saleor_client(customer) as client:
            client.vouchers.create_single_use(
                code=code, name=spec.get("name") or f"Masa {code}", channel=spec["channel"], value=spec["value"],
                value_type=spec.get("type", "percentage").upper(), end_date=f"{valid_until}T23:59:59+00:00" if valid_until else None,
            )
    except SaleorUnavailable as error:
        raise ActionUnavailable(str(error)) from error
    except SaleorError as error:
        raise ActionRefused(str(error)) from error
    return values


def reward_values(reward: dict, idempotency_key: str, now: datetime, customer: Customer | None = None) -> dict:
    """The merge-tag values of a reward, without creating it (what a rehearsal shows)."""
    spec = reward["voucher"]
    valid_until = (now + timedelta(days=spec["valid_days"])).date().isoformat() if spec.get("valid_days") else ""
    return {"code": voucher_code(idempotency_key, spec.get("prefix", "MASA")), "value": spec["value"],
            "type": spec.get("type", "percentage"), "valid_until": valid_until}


def metadata_values(customer: Customer, names: list[str]) -> dict:
    """The private metadata for these facts: ``masa.<name>``; a per-category counter becomes one
    key per category (``masa.category.<slug>``); a missing fact is written empty."""
    counters = {"orders_count": customer.orders_count, "total_spent": customer.total_spent,
                "tags": ",".join(customer.tags or [])}
    values = {}
    for name in names:
        if name == "category_counts":
            values.update({f"{METADATA_PREFIX}category.{slug}": count
                           for slug, count in sorted((customer.category_counts or {}).items())})
        elif name in counters:
            values[f"{METADATA_PREFIX}{name}"] = counters[name]
        else:
            values[f"{METADATA_PREFIX}{name}"] = (customer.facts or {}).get(name, "")
    return values


def write_customer_metadata(customer: Customer, names: list[str]) -> dict:
    """Write these facts to the customer's private metadata in Saleor; returns what was written."""
    if not customer.store_id:
        raise ActionRefused("the customer has no Saleor id (never seen in a Saleor webhook)")
    values = metadata_values(customer, names)
    try:
        with saleor_client(customer) as client:
            client.customers.update_private_metadata(customer.store_id, values)
    except SaleorUnavailable as error:
        raise ActionUnavailable(str(error)) from error
    except SaleorError as error:
        raise ActionRefused(str(error)) from error
    return values
