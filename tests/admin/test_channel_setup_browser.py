"""Setting up an SMS channel in a real browser, through visible controls only, in English and
Hebrew, on a laptop and a phone: choose SMS through Twilio, save with settings missing (refused,
the missing ones named), complete them, save and send a test to oneself (the provider mocked at
the network edge). Screenshots in ``artifacts/screenshots/30-channels-*``."""
import pytest
from django.utils import translation

from masa.channels.sms import TWILIO
from masa.models import Channel

from .test_admin_browser import CHROMIUM, browser_page, each_language_and_width, log_in, shot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
assert CHROMIUM

SID = "AC0123456789abcdef0123456789abcdef"


def missing_words(language: str, *names: str) -> list[str]:
    with translation.override(language):
        return [str(TWILIO.setting(name).missing) for name in names]


def fits(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_an_owner_sets_up_an_sms_channel_and_tests_it(browser_page, provider):
    page = browser_page
    log_in(page)
    for language, width in each_language_and_width(page, "edna"):
        Channel.objects.all().delete()
        provider.requests.clear()
        where = f"{language}-{width}"
        page.goto("/admin/snippets/masa/channel/")
        page.locator("a[href$='/admin/snippets/masa/channel/add/']").first.click()
        page.locator(".masa-channel-kinds").wait_for()
        assert fits(page, width), f"the kinds page scrolls sideways at {where}"
        shot(page, f"30-channels-kinds-{where}")

        page.locator(".masa-channel-kind-choice[data-kind=sms] a[href*='provider=twilio']").click()
        page.locator(".masa-channel-setup").wait_for()
        page.fill("#id_name", "Shop SMS")
        page.fill("#id_setting_account_sid", SID)
        page.locator("button.action-save").first.click()
        missing = page.locator(".masa-channel-missing")
        missing.wait_for()
        said = missing.inner_text()
        for words in missing_words(language, "auth_token", "from_number"):
            assert words in said, (words, where)
        assert missing_words(language, "account_sid")[0] not in said
        assert not Channel.objects.exists()
        assert fits(page, width), f"the refused form scrolls sideways at {where}"
        shot(page, f"30-channels-missing-{where}")

        page.fill("#id_setting_auth_token", "tw-secret-9")
        page.fill("#id_setting_from_number", "+972 50-123-4567")
        page.fill("#id_test_to", "+972540001111")
        page.locator("button[name=masa-test]").click()
        page.wait_for_url("**/admin/snippets/masa/channel/edit/**")
        channel = Channel.objects.get()
        assert channel.config == {"provider": "twilio", "account_sid": SID, "from_number": "+972501234567"}
        assert channel.secrets == {"auth_token": "tw-secret-9"}
        assert len(provider.requests) == 1 and "To=%2B972540001111" in provider.requests[0].content.decode()
        assert page.locator(".messages .success").count() and "+972540001111" in page.locator(".messages").inner_text()
        assert "tw-secret-9" not in page.content()
        assert fits(page, width), f"the saved channel scrolls sideways at {where}"
        shot(page, f"30-channels-tested-{where}")

        page.goto("/admin/snippets/masa/channel/")
        page.locator(".masa-channel-health").first.wait_for()
        assert page.locator(".masa-health-working").count() == 1
        assert fits(page, width), f"the channels list scrolls sideways at {where}"
        shot(page, f"30-channels-list-{where}")
