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
