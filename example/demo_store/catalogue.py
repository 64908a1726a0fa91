"""The demo's seeded store: customers, a senior-care catalogue, messages, rules, a channel."""
from datetime import datetime, timezone

CUSTOMERS = [
    {"id": "VXNlcjox", "email": "ruth.levi@example.com", "first": "Ruth", "last": "Levi"},
    {"id": "VXNlcjoy", "email": "david.cohen@example.com", "first": "David", "last": "Cohen"},
    {"id": "VXNlcjoz", "email": "miriam.katz@example.com", "first": "Miriam", "last": "Katz"},
]

PRODUCTS = {
    "pads": ("UHJvZHVjdDox", "Absorbent pads, 30 pack", "absorbent", 39.0),
    "vitamin-d": ("UHJvZHVjdDoy", "Vitamin D3, 90 tablets", "vitamins", 24.0),
    "walker": ("UHJvZHVjdDoz", "Folding walker with seat", "walkers", 189.0),
}

ORDERS = [
    ("VXNlcjox", [("pads", 2), ("vitamin-d", 1)]),
    ("VXNlcjoy", [("walker", 1)]),
    ("VXNlcjoz", [("pads", 1), ("walker", 1)]),
]

TEMPLATES = [
    {"key": "thank-you", "subject": "Thank you, {{ customer.first_name }}!",
     "body": "Hi {{ customer.first_name }},\n\nThank you for order #{{ order.number }}. We are here if you need anything.\n"},
    {"key": "refill-absorbent", "subject": "Running low on pads, {{ customer.first_name }}?",
     "body": "Hi {{ customer.first_name }},\n\nYour pads from order #{{ order.number }} will run out in a few days. Reorder in one click.\n"},
    {"key": "walker-howto", "subject": "How to fold and adjust your new walker",
     "body": "Hi {{ customer.first_name }},\n\nHere is a two-minute video on adjusting and folding your walker safely.\n"},
]

RULES = [
    {"rule_id": "thank-you", "title": "Thank-you note a minute after every order", "definition": {
        "trigger": {"event": "order_placed"},
        "steps": [{"wait": "1m"}, {"send": {"channel": "email", "template": "thank-you", "class": "transactional"}}]}},
    {"rule_id": "refill-absorbent", "title": "Absorbent products: refill reminder after 25 days", "definition": {
        "trigger": {"event": "order_placed", "category": "absorbent"},
        "steps": [{"wait": "25d"}, {"check": {"not_bought_since": {"category": "absorbent"}}},
                  {"send": {"channel": "email", "template": "refill-absorbent"}}]}},
    {"rule_id": "walker-howto", "title": "Walkers: how-to video two days after purchase", "definition": {
        "trigger": {"event": "order_placed", "category": "walkers"},
        "steps": [{"wait": "2d"}, {"send": {"channel": "email", "template": "walker-howto", "class": "transactional"}}]}},
]


def order_payload(number: int, user: dict, items: list[tuple[str, int]], when: datetime | None = None) -> dict:
    when = when or datetime.now(timezone.utc)
    lines = []
    for index, (sku, quantity) in enumerate(items):
        product_id, name, category, price = PRODUCTS[sku]
        lines.append({
            "id": f"line-{number}-{index}", "productName": name, "variantName": "", "productSku": sku,
            "quantity": quantity, "totalPrice": {"gross": {"amount": price * quantity, "currency": "ILS"}},
            "variant": {"id": f"variant-{sku}", "sku": sku, "product": {
                "id": product_id, "name": name,
                "category": {"id": f"cat-{category}", "name": category.title(), "slug": category, "parent": None}}},
        })
    return {
        "__typename": "OrderCreated", "issuedAt": when.isoformat(), "version": "3.24.0",
        "order": {
            "id": f"T3JkZXI6ZGVtby0{number}", "number": str(number), "created": when.isoformat(),
            "status": "UNFULFILLED", "chargeStatus": "NONE", "userEmail": user["email"],
            "user": {"id": user["id"], "email": user["email"], "privateMetadata": []},
            "channel": {"slug": "default-channel"},
            "total": {"gross": {"amount": sum(l["totalPrice"]["gross"]["amount"] for l in lines), "currency": "ILS"}},
            "lines": lines,
        },
    }


def customer_payload(user: dict, when: datetime | None = None) -> dict:
    when = when or datetime.now(timezone.utc)
    return {"__typename": "CustomerCreated", "issuedAt": when.isoformat(), "user": {
        "id": user["id"], "email": user["email"], "firstName": user["first"], "lastName": user["last"],
        "dateJoined": when.isoformat(), "metadata": [], "privateMetadata": []}}
