"""Masa: declarative post-purchase journeys for Saleor and Django stores."""
__version__ = "0.1.0"
