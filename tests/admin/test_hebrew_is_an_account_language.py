"""עברית is one of the languages a user may choose under Account → Preferences in the example site
(WAGTAILADMIN_PERMITTED_LANGUAGES: Wagtail lists only languages it translates itself), and choosing
it renders the Journeys home in Hebrew, right to left."""
import re

import pytest
from django.urls import reverse
from wagtail.users.models import UserProfile

from ..helpers import editor

pytestmark = pytest.mark.django_db


def test_the_account_preferences_offer_hebrew_and_choosing_it_turns_the_admin_right_to_left(client):
    user = editor()
    client.force_login(user)
    page = client.get(reverse("wagtailadmin_account")).content.decode()
    select = re.search(r'<select name="locale-preferred_language".*?</select>', page, re.S).group(0)
    assert re.search(r'<option value="he"[^>]*>עברית</option>', select)
    assert re.search(r'<option value="en"[^>]*>English</option>', select)

    response = client.post(reverse("wagtailadmin_account"), {
        "name_email-first_name": "Edna", "name_email-last_name": "Editor", "name_email-email": user.email,
        "locale-preferred_language": "he", "locale-current_time_zone": "",
        "theme-theme": "system", "theme-contrast": "system", "theme-density": "default", "theme-keyboard_shortcuts": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert UserProfile.get_for_user(user).preferred_language == "he"

    home = client.get("/admin/").content.decode()
    assert re.search(r'<html[^>]*\bdir="rtl"', home) and re.search(r'<html[^>]*\blang="he"', home)
    panel = home[home.index("masa-dashboard"):]
    assert "אף תהליך עבודה לא רץ ב-10 הדקות האחרונות" in panel  # the Journeys panel, in Hebrew
