"""A fake Saleor at the httpx transport: every request's document and variables are validated
against the real schema (../shared/saleor/schema.graphql) before a canned answer is returned."""
from __future__ import annotations

import json
from functools import lru_cache

import httpx
from graphql import build_schema, parse, validate
from graphql.execution.values import get_variable_values

from .helpers import SHARED


@lru_cache(maxsize=1)
def saleor_schema():
    return build_schema((SHARED / "saleor" / "schema.graphql").read_text())


def schema_problems(query: str, variables: dict | None = None) -> list[str]:
    document = parse(query)
    problems = [error.message for error in validate(saleor_schema(), document)]
    if variables is not None and not problems:
        operation = next(d for d in document.definitions if d.kind == "operation_definition")
        coerced = get_variable_values(saleor_schema(), operation.variable_definitions or [], variables)
        if isinstance(coerced, list):
            problems += [error.message for error in coerced]
    return problems


class FakeSaleor:
    """Answers by operation name: ``answers[name]`` is a data dict, a callable(variables) → data,
    or an ``httpx.Response``; a list is consumed one answer per call."""

    def __init__(self, **answers):
        self.answers = answers
        self.requests: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        problems = schema_problems(body["query"], body["variables"])
        assert not problems, problems
        name = parse(body["query"]).definitions[-1].name.value
        self.requests.append({"operation": name, "variables": body["variables"],
                              "authorization": request.headers.get("authorization")})
        answer = self.answers[name]
        if isinstance(answer, list):
            answer = answer.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        data = answer(body["variables"]) if callable(answer) else answer
        return httpx.Response(200, json={"data": data})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def operations(self) -> list[str]:
        return [r["operation"] for r in self.requests]


CHANNEL = {"channel": {"id": "Q2hhbm5lbDox", "slug": "default-channel", "currencyCode": "ILS"}}
VOUCHER_CREATED = {"voucherCreate": {"voucher": {"id": "Vm91Y2hlcjox", "name": "x"}, "errors": []}}
VOUCHER_LISTED = {"voucherChannelListingUpdate": {"voucher": {"id": "Vm91Y2hlcjox"}, "errors": []}}
VOUCHER_ANSWERS = {"Channel": CHANNEL, "VoucherCreate": VOUCHER_CREATED, "VoucherChannelListingUpdate": VOUCHER_LISTED}
