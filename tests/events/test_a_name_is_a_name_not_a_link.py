"""``values.person_name`` is the one cleaner every name passes (Saleor webhooks, Django signals,
stored customer updates): real names from many languages stay as typed; anything a mail client
would turn into a link in a thank-you mail (a domain, "www", a scheme, an address, a phone number,
fullwidth look-alikes) or a template tag is not a name."""
import pytest

from masa.events import Identity
from masa.values import person_name

NAMES = ["J. R. R. Tolkien", "J.R.R. Tolkien", "Ruth-Ann O'Neil", "נועה", "יהודה הלוי", "בן-גוריון", 'צ"ל',
         "محمد عبد الله", "Ngũgĩ wa Thiong'o", "José María", "Zoë", "Dr. Levi", "Anne-Marie St. Clair",
         "Søren Kierkegaard", "Nguyễn Văn A", "李小龍", "Mary Jo", "X Æ A-12", "Mr. Smith", "Łukasz Żółć"]
SPAM = ["Claim your prize at bit.ly/x7", "evil.com", "Visit EVIL.COM", "ｗｗｗ．evil．com", "evil。com", "www evil",
        "hxxps：／／evil", "javascript:alert(1)", "mailto:x", "＠evil", "me@evil.example", "x.co",
        "Call +1-800-555-0199 now", "{{ unsubscribe_url }}", "{% now %}", "{ {x} }", "<b>Eve</b>", "\ue000",
        "Win at https://evil.example", "t.me/evil", "evil.קום"]


@pytest.mark.parametrize("name", NAMES)
def test_a_real_name_survives(name):
    assert person_name(name) == name


@pytest.mark.parametrize("spam", SPAM)
def test_what_a_mail_client_would_linkify_is_not_a_name(spam):
    assert person_name(spam) == ""


@pytest.mark.parametrize("typed, kept", [("Noa\u202eLevi", "NoaLevi"), ("\u2066Noa\u2069", "Noa"), ("No\u00ada", "Noa"),
                                         ("Ruth\u0000Levi", "Ruth Levi"), ("ＮＯＡ", "NOA"), ("A" * 400, "A" * 60)])
def test_invisible_and_look_alike_characters_are_cleaned(typed, kept):
    assert person_name(typed) == kept


def test_every_identity_carries_cleaned_names():
    identity = Identity(email="a@example.com", first_name="bit.ly/x7", last_name="\u202eLevi")
    assert (identity.first_name, identity.last_name) == ("", "Levi")
