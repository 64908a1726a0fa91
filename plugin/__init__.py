"""Masa: declarative post-purchase journeys for Saleor and Django stores."""
__version__ = "0.2.0"
