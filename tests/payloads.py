"""Saleor-shaped payloads for fabricated orders (the captured ones are the real references)."""
import itertools
from datetime import datetime, timezone

_numbers = itertools.count(1000)


def order_payload(*, email="ruth@example.com", user_id="VXNlcjo5OQ==", lines=None, when=None, order_id=None):
    number = next(_numbers)
    when = when or datetime.now(timezone.utc)
    lines = lines or [("Absorbent pads", "absorbent", 2, 40.0)]
    return {
        "__typename": "OrderCreated",
        "issuedAt": when.isoformat(),
        "version": "3.24.0",
        "order": {
            "id": order_id or f"T3JkZXI6{number}",
            "number": str(number),
            "created": when.isoformat(),
            "status": "UNFULFILLED",
            "chargeStatus": "NONE",
            "userEmail": email,
            "user": {"id": user_id, "email": email, "privateMetadata": []},
            "channel": {"slug": "default-channel"},
            "total": {"gross": {"amount": sum(l[3] for l in lines), "currency": "EUR"}},
            "lines": [
                {
                    "id": f"line-{number}-{i}",
                    "productName": name,
                    "variantName": "",
                    "productSku": f"SKU-{category}-{i}",
                    "quantity": quantity,
                    "totalPrice": {"gross": {"amount": amount, "currency": "EUR"}},
                    "variant": {
                        "id": f"variant-{category}-{i}",
                        "sku": f"SKU-{category}-{i}",
                        "product": {
                            "id": f"product-{category}-{i}",
                            "name": name,
                            "category": {"id": f"cat-{category}", "name": category.title(), "slug": category, "parent": None},
                        },
                    },
                }
                for i, (name, category, quantity, amount) in enumerate(lines)
            ],
        },
    }


def customer_payload(*, user_id="VXNlcjo5OQ==", email="ruth@example.com", first="Ruth", last="Levi", when=None):
    when = when or datetime.now(timezone.utc)
    return {
        "__typename": "CustomerCreated",
        "issuedAt": when.isoformat(),
        "user": {"id": user_id, "email": email, "firstName": first, "lastName": last,
                 "dateJoined": when.isoformat(), "metadata": [], "privateMetadata": []},
    }
