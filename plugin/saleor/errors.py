"""What can go wrong talking to Saleor (shared by the client and its resources)."""
from __future__ import annotations


class SaleorError(Exception):
    """Saleor could not be asked, or said no."""


class SaleorUnavailable(SaleorError):
    """Network error, timeout or 5xx, still failing after every retry: worth retrying later."""


class SaleorRequestError(SaleorError):
    """Saleor refused the request itself (4xx: bad token, bad URL)."""

    def __init__(self, operation: str, status: int, text: str):
        super().__init__(f"{operation}: Saleor answered {status}: {text[:300]}")
        self.operation, self.status = operation, status


class SaleorGraphQLError(SaleorError):
    """The operation came back with top-level GraphQL ``errors`` (syntax, permission, lookup)."""

    def __init__(self, operation: str, errors: list[dict]):
        details = "; ".join(
            f"{e.get('message', e)}" + (f" (at {'.'.join(map(str, e['path']))})" if e.get("path") else "")
            for e in errors
        )
        super().__init__(f"{operation}: {details}")
        self.operation, self.errors = operation, errors


class SaleorMutationError(SaleorError):
    """A mutation returned errors in its payload; names the mutation and the field."""

    def __init__(self, mutation: str, errors: list[dict]):
        details = "; ".join(
            f"field {e.get('field') or '(none)'!r}: {e.get('message') or e.get('code')} [{e.get('code')}]" for e in errors
        )
        super().__init__(f"{mutation} failed: {details}")
        self.mutation, self.errors = mutation, errors
