"""Issue 32: the single consent of before becomes e-mail's. Where the shop says it covered SMS and
WhatsApp too, 0.1's migration 0023 (``MASA["EARLIER_CONSENT_COVERS"]``) or
``manage.py masa_consent --earlier-covers`` gives those kinds to the customers whose e-mail consent
came before — dated as their e-mail consent — and never over what a customer said since."""
from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.migrations.recorder import MigrationRecorder

from masa import consent
from masa.models import Customer

BEFORE = datetime(2026, 5, 3, 9, 0, tzinfo=timezone.utc)


def run(*args) -> str:
    out = StringIO()
    call_command("masa_consent", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_command_gives_sms_and_whatsapp_to_earlier_email_consent_only():
    recorded = MigrationRecorder.Migration.objects.filter(app="masa", name__in=consent.RELEASE_MIGRATIONS)
    assert recorded.update(applied=BEFORE + timedelta(days=30))
    earlier = Customer.objects.create(email="a@example.com", marketing_consent=True, marketing_consent_at=BEFORE,
                                      marketing_consent_source="Saleor customer metadata")
    since = Customer.objects.create(email="b@example.com", marketing_consent=True,
                                    marketing_consent_at=BEFORE + timedelta(days=40))
    said_no = Customer.objects.create(email="c@example.com", marketing_consent=True, marketing_consent_at=BEFORE,
                                      sms_consent=False, sms_consent_at=BEFORE + timedelta(days=35),
                                      sms_consent_source="asked to stop by SMS")
    Customer.objects.create(email="d@example.com", marketing_consent=False)

    assert run("--earlier-covers", "sms,whatsapp", "--dry-run") == (
        "Would give SMS marketing consent to 1 customer whose e-mail consent came earlier (nothing changed: "
        "--dry-run).\nWould give WhatsApp marketing consent to 2 customers whose e-mail consent came earlier "
        "(nothing changed: --dry-run).\n")
    assert not Customer.objects.filter(sms_consent=True).exists()

    said = run("--earlier-covers", "sms, WhatsApp")
    assert "Gave SMS marketing consent to 1 customer" in said and "Gave WhatsApp marketing consent to 2 customers" in said
    earlier.refresh_from_db()
    assert earlier.sms_consent and earlier.whatsapp_consent and earlier.sms_consent_at == BEFORE
    assert earlier.sms_consent_source.startswith("earlier consent")
    since.refresh_from_db()
    said_no.refresh_from_db()
    assert not since.sms_consent and not since.whatsapp_consent, "consent given after the release is e-mail's only"
    assert said_no.sms_consent is False and said_no.sms_consent_source == "asked to stop by SMS"
    assert said_no.whatsapp_consent is True
    assert "0 customers" in run("--earlier-covers", "sms")


@pytest.mark.django_db
def test_the_command_names_only_sms_and_whatsapp():
    for wrong in ("email", "sms,pigeon", ","):
        with pytest.raises(CommandError, match="sms, whatsapp or both"):
            run("--earlier-covers", wrong)


def test_consent_settings_that_cannot_work_are_errors_of_manage_py_check(settings):
    from masa.checks import settings_errors

    settings.MASA = {**settings.MASA, "CONSENT_METADATA_KEYS": {"sms": "marketing_consent", "fax": "fax_ok"},
                     "EARLIER_CONSENT_COVERS": ["email"]}
    said = [error.msg for error in settings_errors() if error.id == "masa.E005"]
    assert said == ["MASA['CONSENT_METADATA_KEYS'] names 'fax': the kinds are email, sms and whatsapp",
                    "MASA['CONSENT_METADATA_KEYS'] gives two channels the same key: one word would answer for both",
                    "MASA['EARLIER_CONSENT_COVERS'] lists the channels the earlier consent covered: \"sms\", "
                    "\"whatsapp\" or both"]
    settings.MASA = {**settings.MASA, "CONSENT_METADATA_KEYS": {"sms": "sms_ok"}, "EARLIER_CONSENT_COVERS": []}
    assert not [error for error in settings_errors() if error.id == "masa.E005"]
