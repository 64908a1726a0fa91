"""Data set apart from the page's language: a customer's or a product's name inside a Hebrew
sentence (or a Hebrew subject inside an English one) keeps its own direction. In HTML use
``<bdi>``; where only plain text goes (a page title, a breadcrumb, an ``<option>``, SVG text)
``isolate`` wraps the value in Unicode's first-strong isolate (U+2068 … U+2069)."""

FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


def isolate(value) -> str:
    return f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"

