"""Issue 28, item 6: a template is bounded while it renders, not only once it is done. A value
that doubles per ``{% with a=b|add:b %}``, a ``join`` that multiplies, or a loop whose output a
``{% filter length %}`` hides used to be built whole (megabytes) as long as what the template
wrote out was short. Each is refused at validation (pack import, admin save), in the preview
and at send alike, and quickly."""
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from masa.actions import due as scheduling
from masa.models import Customer, Delivery, MessageTemplate, ScheduledAction, StoreEvent
from masa.packs import PackError, load_pack
from masa.rendering import render_text, sample_context
from masa.template_sandbox import MAX_RENDER_CHARS

from ..helpers import editor

pytestmark = pytest.mark.django_db


def nested_with(levels: int = 20) -> str:
    """The issue's template: 806 characters whose last value holds 10 × 2**20 characters."""
    text = "{% with v0='abcdefghij' %}"
    for level in range(levels):
        text += f"{{% with v{level + 1}=v{level}|add:v{level} %}}"
    return text + f"{{{{ v{levels}|length }}}}" + "{% endwith %}" * (levels + 1)


GROWING = {
    "nested with": nested_with(),
    "join by a long separator": "{% with s=customer.first_name|ljust:200 %}{% with letters=s|make_list %}"
                                "{% with long=letters|join:s %}{{ letters|join:long|length }}"
                                "{% endwith %}{% endwith %}{% endwith %}",
    "a loop hidden by a filter": "{% with s=customer.first_name|ljust:200 %}{% with letters=s|make_list %}"
                                 "{% filter length %}{% for a in letters %}"
                                 "{% for b in letters|slice:':20' %}{{ s }}{% endfor %}{% endfor %}"
                                 "{% endfilter %}{% endwith %}{% endwith %}",
    "growth inside an if": "{% with s=customer.first_name|ljust:200 %}{% with letters=s|make_list %}"
                           "{% with long=letters|join:s %}"
                           "{% if long|add:long|add:long|add:long|add:long|add:long|add:long == 'x' %}y{% endif %}"
                           "{% endwith %}{% endwith %}{% endwith %}",
}


def pack_with(body: str) -> str:
    return ("masa_pack: 1\nid: p\nversion: 1.0.0\ntitle: P\n"
            f"templates:\n  t:\n    subject: Hi\n    body: \"{body}\"\n"
            "rules:\n  - {id: r, trigger: {event: order_placed}, steps: [{send: {template: t}}]}\n")


@pytest.mark.parametrize("body", GROWING.values(), ids=GROWING.keys())
def test_a_template_that_grows_a_value_is_refused_at_import_and_admin_save(body, client):
    assert len(nested_with()) == 806
    started = time.monotonic()
    with pytest.raises(PackError, match="more than"):
        load_pack(pack_with(body.replace('"', '\\"')))
    client.force_login(editor())
    page = client.post(reverse("wagtailsnippets_masa_messagetemplate:add"),
                       {"key": "grows", "locale": "", "pack": "", "channel_kind": "", "subject": "Hi", "body": body,
                        "html_body": ""})
    assert page.status_code == 200 and "more than" in page.content.decode()
    assert not MessageTemplate.objects.filter(key="grows").exists()
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("body", GROWING.values(), ids=GROWING.keys())
def test_a_template_that_grows_a_value_fails_alone_at_send_and_in_the_preview(body, client, email_channel, mailoutbox):
    template = MessageTemplate.objects.create(key="grows", subject="Hi", body=body)  # stored before the bound
    customer = Customer.objects.create(email="a@example.com", first_name="Ann", marketing_consent=True)
    event = StoreEvent.objects.create(source="django", source_id="o", name="order_placed", customer=customer,
                                      occurred_at=timezone.now(), status="processed", data={"total": "9.5"})
    action = ScheduledAction.objects.create(idempotency_key="grows", customer=customer, event=event, step=0,
                                            params={"template": "grows", "class": "transactional"},
                                            due_at=timezone.now())
    started = time.monotonic()
    assert scheduling.sweep() == {"failed": 1}
    action.refresh_from_db()
    assert "was not sent" in action.last_error and "more than" in action.last_error
    assert not Delivery.objects.exists() and not mailoutbox and time.monotonic() - started < 10
    client.force_login(editor())
    page = client.get(reverse("masa_message_preview", args=[template.pk]), {"customer": customer.pk})
    assert page.status_code == 200 and "more than" in page.content.decode()
    assert "10485760" not in page.content.decode()


def test_ordinary_templates_still_render_lists_loops_and_joins():
    body = ("{% for product in order.products %}{{ forloop.counter }}. {{ product|upper|ljust:20 }}\n{% endfor %}"
            "{{ order.products|join:', ' }} — {{ customer.lists|join:' & ' }} {{ order.total|floatformat:2 }}"
            "{% with name=customer.first_name|add:' '|add:customer.last_name %} {{ name }}{% endwith %}")
    text = render_text(body, sample_context(), as_html=False)
    assert "1. PRODUCT 0" in text and "Product 0, Product 1, Product 2" in text and "Sample Customer" in text
    long = render_text("{% for n in letters %}{{ text }}{% endfor %}",
                       {"letters": list(range(100)), "text": "x" * (MAX_RENDER_CHARS // 200)}, as_html=True)
    assert len(long) == MAX_RENDER_CHARS // 2
