"""Cross-sell offers: the send step's recommend reaches the template as merge tags."""
from datetime import datetime, timedelta, timezone

import pytest

from masa.actions import due as scheduling
from masa.models import MessageTemplate, Rule
from masa.rules.compiler import RuleDefinitionError, compile_rule

from ..helpers import post_signed
from ..helpers import order_payload

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def test_the_recommended_product_is_in_the_message_and_absent_tags_render_empty(
        client, signing_store, email_channel, mailoutbox):
    MessageTemplate.objects.create(key="cross", subject="Pairs well: {{ recommendation.name }}",
                                   body="{{ recommendation.name }} ({{ recommendation.price }} ILS): "
                                        "{{ recommendation.url }}{{ voucher.code }}")
    Rule.objects.create(rule_id="pads-to-cream", title="Pads → barrier cream", definition={
        "trigger": {"event": "order_placed", "category": "absorbent"},
        "steps": [{"wait": "3d"}, {"send": {"template": "cross", "recommend": {
            "name": "Barrier cream", "url": "https://shop.example/cream", "price": 29}}}]})
    post_signed(client, signing_store, "order_created", order_payload(when=NOW))
    assert scheduling.sweep(now=NOW + timedelta(days=3, minutes=1)) == {"done": 1}
    [email] = mailoutbox
    assert email.subject == "Pairs well: Barrier cream"
    assert email.body == "Barrier cream (29 ILS): https://shop.example/cream"


@pytest.mark.parametrize("recommend, message", [
    ({"url": "https://x"}, "steps[0].send.recommend: needs a 'name'"),
    ({"name": "X", "url": "javascript:alert(1)"}, "steps[0].send.recommend.url: must be an http(s) address"),
    ({"name": "X", "price": "cheap"}, "steps[0].send.recommend.price: must be a number"),
    ({"name": "X", "colour": "red"}, "steps[0].send.recommend.colour: unknown option"),
])
def test_a_bad_recommendation_is_named_precisely(recommend, message):
    with pytest.raises(RuleDefinitionError) as error:
        compile_rule("r", {"trigger": {"event": "order_placed"},
                           "steps": [{"send": {"template": "t", "recommend": recommend}}]})
    assert message in str(error.value)
