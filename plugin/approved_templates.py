"""A provider's approved template on a message version (WhatsApp's, outside its 24-hour window).

A version's ``provider_template`` is ``{"name", "language", "variables": [merge tags]}``: the
template's name as in the shop's WhatsApp Manager, its language code there (``en_US``, ``he``; empty:
the version's own language, mapped), and what fills its ``{{1}}``, ``{{2}}``… in order. Each
variable renders in the same bounded sandbox and context as the text, as plain text (no HTML
escaping: WhatsApp shows text), its white space folded (WhatsApp refuses new lines and tabs in a
parameter). Who writes it: a pack's author or the shop's staff in the message editor; the
variables are merge tags, checked like any template text (``problems``).
"""
from __future__ import annotations

import re

from django.template import TemplateSyntaxError

from .template_sandbox import RenderBudget, RenderLimitExceeded

MAX_NAME = 512
MAX_VARIABLES = 20
MAX_PARAMETER_CHARS = 1024
NAME = re.compile(r"^[a-z0-9_]{1,512}$")

# The language codes WhatsApp's templates take (Meta's "Supported languages" list).
LANGUAGES = frozenset("""
af sq ar az bn bg ca zh_CN zh_HK zh_TW hr cs da nl en en_GB en_US et fil fi fr ka de el gu ha he hi hu id ga
it ja kn kk rw_RW ko ky_KG lo lv lt mk ms ml mr nb fa pl pt_BR pt_PT pa ro ru sr sk sl es es_AR es_ES es_MX
sw sv ta te th tr uk ur uz vi zu
""".split())
# A language whose templates WhatsApp names by a region (``en`` → ``en_US``).
_BY_REGION = {"en": "en_US", "pt": "pt_BR", "zh": "zh_CN"}


class ApprovedTemplateError(ValueError):
    """The approved template cannot be sent for this customer: said in words."""


def named(spec) -> bool:
    return isinstance(spec, dict) and bool(spec.get("name"))


def language(spec: dict, locale: str) -> str:
    """WhatsApp's language code: the template's own, else the version's locale (``he`` → ``he``,
    ``en`` → ``en_US``, ``en-gb`` → ``en_GB``); "" when neither gives one."""
    if spec.get("language"):
        return str(spec["language"])
    code, _dash, region = (locale or "").lower().partition("-")
    if not code:
        return ""
    with_region = f"{code}_{region.upper()}"
    if region and with_region in LANGUAGES:
        return with_region
    return _BY_REGION.get(code) or (code if code in LANGUAGES else "")


def parameters(spec: dict, context: dict, locale: str, render_text) -> list[str]:
    """Each variable rendered for this context, in order. Raises ApprovedTemplateError when one
    does not parse, is over its bounds or comes out empty."""
    budget = RenderBudget()
    rendered = []
    for number, variable in enumerate(spec.get("variables") or [], start=1):
        try:
            text = " ".join(render_text(str(variable), context, as_html=False, budget=budget, locale=locale).split())
        except TemplateSyntaxError as error:
            raise ApprovedTemplateError(f"variable {{{{{number}}}}} ({variable}) does not parse: {error}") from error
        except RenderLimitExceeded as error:
            raise ApprovedTemplateError(f"variable {{{{{number}}}}} ({variable}) is over its bounds: {error}") from error
        if not text:
            raise ApprovedTemplateError(f"variable {{{{{number}}}}} ({variable}) is empty for this customer; "
                                        f"WhatsApp refuses a template with an empty variable")
        if len(text) > MAX_PARAMETER_CHARS:
            raise ApprovedTemplateError(f"variable {{{{{number}}}}} ({variable}) is longer than "
                                        f"{MAX_PARAMETER_CHARS} characters")
        rendered.append(text)
    return rendered


def problems(spec, locale: str, template_problems) -> list[str]:
    """What is wrong with an approved template as written (a pack's, an admin form's), each as
    "field: words"; ``template_problems(**texts)`` checks each variable as template text."""
    if not isinstance(spec, dict):
        return ["template: an approved template is a mapping with name, language and variables"]
    found = []
    name = spec.get("name", "")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        found.append("name: the approved template's name as in WhatsApp Manager: small letters, digits and "
                     "underscores (e.g. win_back_offer)")
    code = spec.get("language", "")
    if not isinstance(code, str) or (code and code not in LANGUAGES):
        found.append(f"language: {code!r} is not a language code WhatsApp's templates take (e.g. en_US, he)")
    elif not language(spec, locale):
        found.append("language: give the approved template's language (e.g. en_US): the text's own language "
                     "does not say it")
    variables = spec.get("variables", [])
    if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
        found.append("variables: a list of merge tags, one per {{1}}, {{2}}… in order")
        return found
    if len(variables) > MAX_VARIABLES:
        found.append(f"variables: {len(variables)} variables; at most {MAX_VARIABLES}")
    for number, variable in enumerate(variables, start=1):
        if not variable.strip():
            found.append(f"variables[{number}]: empty; give the merge tag that fills {{{{{number}}}}}")
            continue
        found += [f"variables[{number}]: {problem.partition(': ')[2]}"
                  for problem in template_problems(body=variable)]
    return found
