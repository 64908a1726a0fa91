"""``bench.compare`` judges both sides before it divides: a ref that did no work is shown as such,
not turned into a ratio, and not a reason to stop; today's tree must have done its work."""
from bench import compare


def checked(**headline) -> dict:
    return {"benchmark": "sweep", "sends_per_s": headline.get("sends_per_s", 0), "headline": headline,
            "checked": {"seen": ["200 due", "200 sent"], "failures": [], "ok": True}}


def test_a_ref_whose_checks_failed_is_shown_as_no_work_and_gets_no_ratio():
    ref = {"benchmark": "sweep", "sends_per_s": 0, "headline": {"sends_per_s": 0},
           "checked": {"seen": ["200 due", "0 sent"], "failures": ["sent: 0, expected 200"], "ok": False}}
    lines, done = compare.compared("sweep", "abc123", (ref, 1), (checked(sends_per_s=480), 0))
    text = "\n".join(lines)
    assert done
    assert "ref abc123: DID NOT DO THE WORK IT REPORTS" in text and "sent: 0, expected 200" in text
    assert "×" not in text and "(no work)" in text and "480" in text


def test_a_ref_from_before_the_checks_that_reported_zero_is_shown_as_no_work():
    before_checks = {"benchmark": "sweep", "sends_per_s": 0, "due": 20000, "sent": 0}
    lines, done = compare.compared("sweep", "old", (before_checks, 0), (checked(sends_per_s=480), 0))
    assert done and "DID NOT DO THE WORK" in lines[1] and "sends_per_s is 0" in lines[1]
    assert not any("×" in line for line in lines)


def test_a_ref_from_before_the_checks_that_did_work_is_compared_and_labelled():
    before_checks = {"benchmark": "sweep", "sends_per_s": 60}
    lines, done = compare.compared("sweep", "old", (before_checks, 0), (checked(sends_per_s=480), 0))
    assert done and "from before benchmarks checked their work" in lines[1]
    assert any("sends_per_s" in line and "8.00×" in line for line in lines)


def test_a_ref_that_wrote_no_result_is_reported_with_its_exit_code():
    lines, done = compare.compared("sweep", "broken", (None, 2), (checked(sends_per_s=480), 0))
    assert done and "no result written" in lines[1]


def test_todays_tree_that_did_no_work_fails_the_comparison():
    now = {"benchmark": "sweep", "sends_per_s": 0, "headline": {"sends_per_s": 0},
           "checked": {"seen": ["0 sent"], "failures": ["sent: 0, expected 200"], "ok": False}}
    lines, done = compare.compared("sweep", "abc123", (checked(sends_per_s=60), 0), (now, 1))
    assert not done and "now: DID NOT DO THE WORK" in lines[2]
