"""Masa's client for the Saleor GraphQL API (``SaleorClient``, ``AsyncSaleorClient``)."""
from .client import (
    AsyncSaleorClient,
    SaleorClient,
    SaleorError,
    SaleorGraphQLError,
    SaleorMutationError,
    SaleorRequestError,
    SaleorUnavailable,
)

__all__ = ["AsyncSaleorClient", "SaleorClient", "SaleorError", "SaleorGraphQLError", "SaleorMutationError",
           "SaleorRequestError", "SaleorUnavailable"]
