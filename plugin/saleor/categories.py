"""The store's product categories, by name with the slug behind each, read from Saleor through
the installed app's token (``installation.credentials``) and cached: the rule editor offers them
as a list. When no store is connected, or Saleor cannot be reached, there is no list and the
reason says why (the editor then takes a category's slug as typed)."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.core.cache import cache
from django.utils.translation import gettext_lazy

from .client import SaleorClient
from .errors import SaleorError
from .installation import credentials

CACHE_KEY = "masa:saleor:categories"
CACHE_SECONDS = 600          # a store's categories change rarely; ten minutes old is fine
FAILURE_SECONDS = 60         # an unreachable store is asked again a minute later, not on every page
PAGE, MAX_PAGES = 100, 20    # Saleor gives at most 100 a page

NO_STORE = gettext_lazy("No Saleor store is connected, so the store's categories cannot be listed: "
                        "type the category's slug as it is in the store.")
UNREACHABLE = gettext_lazy("The store could not be reached just now, so its categories cannot be listed: "
                           "type the category's slug as it is in the store.")


@dataclass(frozen=True)
class Category:
    slug: str
    name: str
    parent: str = ""

    @property
    def label(self) -> str:
        return f"{self.parent} › {self.name}" if self.parent else self.name


@dataclass(frozen=True)
class StoreCategories:
    """The categories (empty when there is no list) and, without a list, why (``problem``)."""

    categories: list[Category] = field(default_factory=list)
    problem: str = ""

    def by_slug(self) -> dict[str, Category]:
        return {category.slug: category for category in self.categories}


def store_categories() -> StoreCategories:
    """The connected store's categories, from the cache when fresh."""
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        problem = str(UNREACHABLE) if cached["problem"] else ""
        return StoreCategories([Category(*row) for row in cached["rows"]], problem)
    found = credentials()
    if found is None:
        return StoreCategories(problem=str(NO_STORE))
    try:
        rows = _read(*found)
    except SaleorError:
        cache.set(CACHE_KEY, {"rows": [], "problem": True}, FAILURE_SECONDS)
        return StoreCategories(problem=str(UNREACHABLE))
    cache.set(CACHE_KEY, {"rows": rows, "problem": False}, CACHE_SECONDS)
    return StoreCategories([Category(*row) for row in rows])


def _read(api_url: str, token: str) -> list[tuple[str, str, str]]:
    rows, after = [], None
    with SaleorClient(api_url, token, timeout=5.0, retries=1, backoff=0.2) as client:
        for _page in range(MAX_PAGES):
            data = client.execute("categories", {"first": PAGE, "after": after})["categories"]
            rows += [(edge["node"]["slug"], edge["node"]["name"], (edge["node"].get("parent") or {}).get("name") or "")
                     for edge in data["edges"]]
            if not data["pageInfo"]["hasNextPage"]:
                break
            after = data["pageInfo"]["endCursor"]
    return rows
