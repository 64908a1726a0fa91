"""The only template tags and filters message templates may use.

Merge tags see plain values (rendering.merge_context builds dictionaries, never model
instances), and templates get Django's formatting tags and filters but nothing that reaches
outside the message: no ``debug`` (it prints the context and loaded modules), ``include``,
``extends``, ``load``, ``ssi``, ``url`` or ``csrf_token``.
"""
from django.template import Library, defaultfilters, defaulttags

ALLOWED_TAGS = {
    "autoescape", "comment", "cycle", "filter", "firstof", "for", "if", "ifchanged", "now", "regroup",
    "resetcycle", "spaceless", "templatetag", "verbatim", "widthratio", "with",
}
REFUSED_FILTERS = {"pprint"}

register = Library()
register.tags.update({name: tag for name, tag in defaulttags.register.tags.items() if name in ALLOWED_TAGS})
register.filters.update({name: f for name, f in defaultfilters.register.filters.items() if name not in REFUSED_FILTERS})
