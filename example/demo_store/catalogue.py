"""The demo's seeded store: customers and a senior-care catalogue (rules come from packs/senior-care)."""
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

def order_payload(number: int, user: dict, items: list[tuple[str, int]], when: datetime | None = None) -> dict:
    lines = [order_line(f"line-{number}-{index}", sku, *PRODUCTS[sku], quantity)
             for index, (sku, quantity) in enumerate(items)]
    saleor_user = {"id": user["id"], "email": user["email"], "privateMetadata": []}
    return order_created(f"T3JkZXI6ZGVtby0{number}", number, saleor_user, lines, when)


def order_line(line_id: str, sku: str, product_id: str, name: str, category: str, price: float, quantity: int) -> dict:
    """One line of an order as Saleor's subscription query returns it."""
    return {
        "id": line_id, "productName": name, "variantName": "", "productSku": sku, "quantity": quantity,
        "totalPrice": {"gross": {"amount": price * quantity, "currency": "ILS"}},
        "variant": {"id": f"variant-{sku}", "sku": sku, "product": {
            "id": product_id, "name": name,
            "category": {"id": f"cat-{category}", "name": category.title(), "slug": category, "parent": None}}},
    }


def order_created(order_id: str, number: int, user: dict, lines: list[dict], when: datetime | None = None) -> dict:
    """An ORDER_CREATED payload as Saleor delivers it for Masa's subscription query."""
    when = when or datetime.now(timezone.utc)
    return {
        "__typename": "OrderCreated", "issuedAt": when.isoformat(), "version": "3.24.0",
        "order": {
            "id": order_id, "number": str(number), "created": when.isoformat(),
            "status": "UNFULFILLED", "chargeStatus": "NONE", "userEmail": user["email"], "user": user,
            "channel": {"slug": "default-channel"},
            "total": {"gross": {"amount": sum(l["totalPrice"]["gross"]["amount"] for l in lines), "currency": "ILS"}},
            "lines": lines,
        },
    }


def customer_payload(user: dict, when: datetime | None = None) -> dict:
    when = when or datetime.now(timezone.utc)
    return {"__typename": "CustomerCreated", "issuedAt": when.isoformat(), "user": {
        "id": user["id"], "email": user["email"], "firstName": user["first"], "lastName": user["last"],
        "dateJoined": when.isoformat(), "privateMetadata": [],
        # The demo shop asked for marketing consent at sign-up (MASA["CONSENT_METADATA_KEY"]).
        "metadata": [{"key": "marketing_consent", "value": "true"}]}}
