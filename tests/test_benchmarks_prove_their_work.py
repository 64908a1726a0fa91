"""A benchmark whose work was not done fails: its own checks, its result file, and CI's run of them
(bench/common.py, bench/run.py). Fast: no benchmark is run at size here."""
import json
import math

import pytest

from bench import common, run, sweep


def good_result(**headline) -> dict:
    return {"benchmark": "fake", "headline": headline or {"events_per_s": 412},
            "checked": {"seen": ["200 due", "200 sent"], "failures": [], "ok": True}}


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RESULTS", tmp_path)

    def write(name: str, result: dict):
        (tmp_path / f"{name}.json").write_text(json.dumps(result))
    return write


def test_checks_collect_what_they_saw_and_every_mismatch():
    checks = common.Checks()
    checks.group("1 process")
    checks.equal("sent", 0, 200)
    checks.none("failed", 0)
    checks.none("duplicates", 3)
    checks.some("sends/s", 0)
    assert checks.line() == "checked: 1 process: 0 sent, 0 failed, 3 duplicates, 0 sends/s"
    assert checks.failures == ["1 process: sent: 0, expected 200", "1 process: duplicates: 3, expected 0",
                               "1 process: sends/s: 0, expected a figure above 0"]


@pytest.mark.parametrize("value", [0, 0.0, None, math.nan, math.inf, -5, True, "412"])
def test_a_headline_figure_that_is_not_a_measured_number_is_a_problem(value):
    assert common.result_problems(good_result(events_per_s=value)) == [f"headline figure events_per_s is {value!r}"]


def test_a_result_that_checked_nothing_or_failed_a_check_is_a_problem():
    unchecked = {**good_result(), "checked": {"seen": [], "failures": []}}
    failed = {**good_result(), "checked": {"seen": ["0 sent"], "failures": ["sent: 0, expected 200"]}}
    assert common.result_problems(unchecked) == ["no record of what it checked"]
    assert common.result_problems(failed) == ["check failed: sent: 0, expected 200"]
    assert common.result_problems(None) == ["no result written"]
    assert common.result_problems({**good_result(), "headline": {}}) == ["no headline figures"]
    assert common.result_problems(good_result()) == []


def test_report_exits_non_zero_on_a_zero_figure_after_writing_it(results, capsys):
    checks = common.Checks()
    checks.equal("sent", 0, 0)
    with pytest.raises(SystemExit) as exit:
        common.report("fake", ["0 due of 20,000 pending sent (0/s)"], {}, checks, headline={"sends_per_s": 0})
    assert "sends_per_s" in str(exit.value.code)
    written = json.loads((common.RESULTS / "fake.json").read_text())
    assert written["checked"]["ok"] is False and written["headline"] == {"sends_per_s": 0}
    assert "checked: 0 sent; headline: 0 sends_per_s" in capsys.readouterr().out


def test_run_check_fails_on_a_zero_a_missing_or_a_stale_result(results):
    results("intake", good_result(holds_rps=0))
    results("sweep", good_result())
    assert run.main(["--check", "intake"]) == 1
    assert run.main(["--check", "memory"]) == 1  # never written
    assert run.main(["--check", "sweep"]) == 0
    assert run.check("sweep", since=(common.RESULTS / "sweep.json").stat().st_mtime + 60) == ["no result written"]


@pytest.mark.django_db
@pytest.mark.parametrize("consent", [True, False])
def test_the_sweep_benchmark_fails_when_its_sends_are_not_done(consent):
    """Without e-mail consent every marketing send is cancelled: 0 sent of 5 due must fail."""
    sweep.seed(pending=30, due=5, consent=consent)
    sent, _, _ = sweep.sweep_until_empty()
    checks = common.Checks()
    sweep.check_sent(checks, pending=30, due=5, sent=sent)
    if consent:
        assert (sent, checks.failures) == (5, [])
    else:
        assert sent == 0
        assert "sent: 0, expected 5" in checks.failures and "cancelled: 5, expected 0" in checks.failures
