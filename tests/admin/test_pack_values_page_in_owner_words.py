"""The pack values page in a shop owner's words (issue 31, review 2): a map of product → how long
it lasts takes durations in words ("45 days", "2 months", "50 ימים") as well as "45d" and shows
them in words; a product is written by its name as on the store's orders (Masa matches the id the
store sends with each order line, so a known name is stored as that id and shown by its name);
refusals and the saved notice are the owner's words, translated; the title is short, the version
is in the page."""
import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from masa.models import RulePack
from masa.packs import load_pack
from masa.packs.installer import import_pack

from ..helpers import editor, in_hebrew, place_order
from ..packs.test_map_parameter import PACK
from .owner_words import engineer_words, visible_text

pytestmark = pytest.mark.django_db
URL = reverse("masa_pack_parameters", kwargs={"pack_id": "refills"})


@pytest.fixture
def page(client):
    import_pack(load_pack(PACK))
    client.force_login(editor())


def shown(response) -> str:
    return " ".join(text.text for text in visible_text(response.content.decode()))


def save(client, rows: str, follow=True):
    return client.post(URL, {"holdout_percent": "0", "refill_periods": rows}, follow=follow)


def stored() -> dict:
    return RulePack.objects.get().parameter_values.get("refill_periods")


def test_durations_in_words_are_taken_and_shown_in_words(client, page):
    save(client, "pads-30: 45 days\nnight-pants: 2 months\ncream: 50 ימים\nwipes: 3 weeks\nliners: 45d")
    assert stored() == {"pads-30": "45d", "night-pants": "60d", "cream": "50d", "wipes": "21d", "liners": "45d"}
    form = client.get(URL).content.decode()
    assert "pads-30: 45 days" in form and "night-pants: 60 days" in form and "wipes: 3 weeks" in form
    client.force_login(in_hebrew(User.objects.get(username="edna")))
    assert "pads-30: 45 ימים" in client.get(URL).content.decode()


def test_a_product_named_as_on_the_stores_orders_is_matched_by_its_id_and_shown_by_name(client, page, signing_store):
    place_order(client, signing_store)   # "Absorbent pads", id product-absorbent-0 in the store
    save(client, "absorbent PADS: 45 days")
    assert stored() == {"product-absorbent-0": "45d"}
    assert "Absorbent pads: 45 days" in client.get(URL).content.decode()


def test_a_refusal_is_in_words_and_translated_and_keeps_the_values(client, page):
    save(client, "pads-30: 30d")
    answer = save(client, "pads-30: 45 dayz", follow=False)
    text = shown(answer)
    assert "is not a length of time" in text and "must be of type" not in text and engineer_words(answer.content.decode()) == []
    assert stored() == {"pads-30": "30d"}
    client.force_login(in_hebrew(User.objects.get(username="edna")))
    text = shown(save(client, "pads-30: soon", follow=False))
    assert "must be of type" not in text and "אינו משך זמן" in text, "in Hebrew once f7.po is merged"


def test_the_saved_notice_names_values_by_their_titles(client, page):
    text = shown(save(client, "pads-30: 45 days"))
    assert "Saved: How long one of each product lasts." in text.replace("\u2068", "").replace("\u2069", "")
    assert "refill_periods" not in text
    assert "Nothing changed." in shown(save(client, "pads-30: 45 days"))


def test_the_title_is_short_and_the_version_is_in_the_page(client, page):
    response = client.get(URL)
    text = shown(response)
    assert "Refills" in text and "version 1.0.0" in text.replace("\u2068", "").replace("\u2069", "")
    assert "<title>Pack values" in response.content.decode()


def test_a_hostile_product_name_is_shown_as_text(client, page):
    form = save(client, "<script>alert(1)</script>: 45 days", follow=False).content.decode()
    assert "<script>alert(1)</script>" not in form and "&lt;script&gt;alert(1)&lt;/script&gt;" in form
    assert stored() in (None, {}), "a key that is no product id nor a known name is refused"
