"""The broadcast benchmark (bench/broadcast.py) checks its own work: with consent every customer is
reached and sent to once, at the provider too; without it nothing is sent and its checks fail."""
import pytest
from django.utils import timezone

from bench import broadcast, common, sweep

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("consent", [True, False])
def test_the_broadcast_benchmark_fails_when_its_sends_are_not_done(consent, settings):
    settings.EMAIL_BACKEND = sweep.PROVIDER
    limits = broadcast.dosage(timezone.now())
    settings.MASA = {**settings.MASA, **limits}
    edge = sweep.provider_edge()
    edge.received.clear()
    broadcast.seed(customers=6, consent=consent)
    result = broadcast.broadcast_until_sent(timeout=60)
    checks = common.Checks()
    broadcast.check_sent(checks, 6, result["sent"], edge.received, limits["QUIET_HOURS"])
    if consent:
        assert (result["sent"], len(edge.received), checks.failures) == (6, 6, [])
    else:
        assert result["sent"] == 0 and not edge.received
        assert "reached: 0, expected 6 and above 0" in checks.failures
