"""A small pack and its next version, for the upgrade merge tests (packs and admin)."""
import yaml

COFFEE = """\
masa_pack: 1
id: coffee
version: 1.0.0
title: Coffee shop
parameters:
  refill_lead:
    type: duration
    title: Remind before they run out
    default: 3d
templates:
  welcome:
    subject: Welcome to our coffee
    body: "Hi {{ customer.first_name }}, thank you for your first order. Enjoy the beans."
    locales:
      he:
        subject: ברוכים הבאים
        body: "שלום {{ customer.first_name }}, תודה על ההזמנה הראשונה."
  machine-tips:
    subject: Tips for your machine
    body: Descale it every month.
rules:
  - id: coffee-introduce
    title: Introduce the machines
    trigger: {event: order_placed}
    steps:
      - wait: 7d
      - send: {template: machine-tips}
  - id: coffee-welcome
    title: Welcome
    trigger: {event: order_placed}
    once: customer
    holdout: 10
    steps:
      - send: {template: welcome}
"""


def coffee(version="1.1.0", **changes) -> str:
    """The next version: ``introduce_after`` (the first wait), ``welcome_body``, ``tips_body``,
    ``welcome_holdout``, ``lead`` as given."""
    document = yaml.safe_load(COFFEE)
    document["version"] = version
    rules = {rule["id"]: rule for rule in document["rules"]}
    if "introduce_after" in changes:
        rules["coffee-introduce"]["steps"][0] = {"wait": changes["introduce_after"]}
    if "welcome_body" in changes:
        document["templates"]["welcome"]["body"] = changes["welcome_body"]
    if "tips_body" in changes:
        document["templates"]["machine-tips"]["body"] = changes["tips_body"]
    if "welcome_holdout" in changes:
        rules["coffee-welcome"]["holdout"] = changes["welcome_holdout"]
    if changes.get("drop_hebrew"):
        del document["templates"]["welcome"]["locales"]
    if "lead" in changes:
        document["parameters"]["refill_lead"]["default"] = changes["lead"]
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
