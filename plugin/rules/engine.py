"""The one adapter over durable-rules.

Nothing outside this module imports ``durable``. Rule packs compile to plain condition
dictionaries (durable-rules' JSON form); this module registers them, runs one evaluation at a
time and hands each match back to the caller. It works around the library's known traps
(DESIGN.md §4):

* the host's background dispatch threads are never started: evaluation is synchronous;
* rulesets are named by the hash of their content and registered once per process, because
  durable-rules cannot replace or remove a ruleset (workers recycle to drop old ones);
* ``delete_state`` is never called; a bounded pool of session ids is reused and each session is
  emptied by retracting every fact asserted into it;
* every fact carries a unique ``id`` so that distinct facts do not look "already observed";
* an exception raised by an action (swallowed by durable-rules) is re-raised to the caller.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from durable import engine as _durable

SESSION_POOL_SIZE = 512
MAX_FIRINGS_PER_RUN = 200


class EngineError(Exception):
    """Evaluation could not complete; the event should be marked failed with this message."""


class RuleActionError(EngineError):
    """The callback of a matched rule raised; carries the rule id and the original error."""

    def __init__(self, rule_id: str, error: BaseException):
        super().__init__(f"rule {rule_id!r} failed: {error.__class__.__name__}: {error}")
        self.rule_id = rule_id
        self.original = error


class ChainLimitError(EngineError):
    """Rules kept firing each other past the limit: a cycle in the rules."""


@dataclass(frozen=True)
class Firing:
    rule_id: str
    matched: Mapping[str, dict]


FireCallback = Callable[[Firing], Iterable[dict] | None]


class _QuietHost(_durable.Host):
    """A durable-rules host without background threads; actions resolve to the adapter."""

    def _run(self):
        return None

    def get_action(self, action_name):
        def dispatch(c):
            _current.run.on_match(action_name, c)

        return dispatch


_host_lock = threading.RLock()
_host: _QuietHost | None = None
_registered: dict[str, "RuleSet"] = {}
_current = threading.local()


def _get_host() -> _QuietHost:
    global _host
    if _host is None:
        _host = _QuietHost()
    return _host


def ruleset_name_for(conditions: Mapping[str, list[dict]]) -> str:
    digest = hashlib.sha256(json.dumps(conditions, sort_keys=True).encode()).hexdigest()
    return f"masa_{digest[:24]}"


class RuleSet:
    """A compiled, registered set of rules: rule id → list of ``{alias: pattern}`` dicts (all must match)."""

    def __init__(self, name: str, conditions: Mapping[str, list[dict]]):
        self.name = name
        self.rule_ids = list(conditions)
        self._by_durable_name = {f"r{i}": rule_id for i, rule_id in enumerate(self.rule_ids)}
        self._free_sessions = [str(i) for i in range(SESSION_POOL_SIZE - 1, -1, -1)]
        definition = {
            f"r{i}": {"all": conditions[rule_id], "run": f"r{i}"}
            for i, rule_id in enumerate(self.rule_ids)
        }
        if definition:
            _get_host().set_rulesets({name: definition})

    def rule_id_for(self, durable_name: str) -> str:
        return self._by_durable_name[durable_name]

    def run(self, facts: Iterable[dict], on_fire: FireCallback) -> list[Firing]:
        """Assert ``facts`` into an empty session, call ``on_fire`` per match, return all firings.

        ``on_fire`` may return new facts; they are asserted at once, which is how one rule's
        outcome fires further rules (forward chaining). A returned fact whose ``id`` is already
        in the session replaces that fact.
        """
        if not self.rule_ids:
            return []
        with _host_lock:
            if not self._free_sessions:
                raise EngineError(
                    f"ruleset {self.name}: every session id is unusable; restart the worker"
                )
            sid = self._free_sessions.pop()
            run = _Run(self, sid, on_fire)
            _current.run = run
            try:
                for fact in facts:
                    run.assert_fact(fact)
                    run.raise_pending()
            finally:
                _current.run = None
                if run.retract_all():
                    self._free_sessions.append(sid)
            return run.firings


class _Run:
    """State of one evaluation: the session in use, asserted facts, firings and errors."""

    def __init__(self, ruleset: RuleSet, sid: str, on_fire: FireCallback):
        self.ruleset = ruleset
        self.sid = sid
        self.on_fire = on_fire
        self.firings: list[Firing] = []
        self.asserted: list[dict] = []
        self.error: EngineError | None = None
        self._ids = itertools.count()

    def _prepare(self, fact: dict) -> dict:
        fact = dict(fact)
        fact["ref"] = fact.get("id")
        fact["sid"] = self.sid
        fact["id"] = f"{self.sid}:{next(self._ids)}"
        return fact

    def assert_fact(self, fact: dict, closure=None) -> None:
        if fact.get("id") is not None:
            self._retract_ref(fact["id"], closure)
        prepared = self._prepare(fact)
        target = closure if closure is not None else None
        for attempt in range(3):
            try:
                if target is not None:
                    target.assert_fact(prepared)
                else:
                    _get_host().assert_fact(self.ruleset.name, prepared)
                break
            except _durable.MessageNotHandledException:
                return
            except _durable.MessageObservedException:
                prepared["id"] = f"{prepared['id']}~{attempt}"
        else:
            raise EngineError(f"fact {fact.get('id')!r} could not be asserted (hash collision)")
        self.asserted.append(prepared)

    def _retract_ref(self, ref, closure) -> None:
        for previous in [f for f in self.asserted if f["ref"] == ref]:
            try:
                if closure is not None:
                    closure.retract_fact(previous)
                else:
                    _get_host().retract_fact(self.ruleset.name, previous)
            except _durable.MessageNotHandledException:
                pass
            self.asserted.remove(previous)

    def on_match(self, durable_name: str, c) -> None:
        if self.error is not None:
            return
        matched = {alias: _plain(fact) for alias, fact in c._m.items()}
        rule_id = self.ruleset.rule_id_for(durable_name)
        firing = Firing(rule_id=rule_id, matched=matched)
        self.firings.append(firing)
        if len(self.firings) > MAX_FIRINGS_PER_RUN:
            self.error = ChainLimitError(
                f"more than {MAX_FIRINGS_PER_RUN} rule firings for one event; "
                f"the rules form a cycle (last: {rule_id!r})"
            )
            return
        try:
            new_facts = self.on_fire(firing) or ()
            for fact in new_facts:
                self.assert_fact(fact, closure=c)
        except EngineError as error:
            self.error = error
        except Exception as error:
            self.error = RuleActionError(rule_id, error)

    def raise_pending(self) -> None:
        if self.error is not None:
            raise self.error

    def retract_all(self) -> bool:
        ok = True
        for fact in reversed(self.asserted):
            try:
                _get_host().retract_fact(self.ruleset.name, fact)
            except _durable.MessageNotHandledException:
                pass
            except Exception:
                ok = False
        self.asserted.clear()
        return ok


def _plain(fact) -> dict:
    data = fact._d if hasattr(fact, "_d") else fact
    plain = {k: v for k, v in data.items() if k not in ("sid", "id", "ref")}
    if data.get("ref") is not None:
        plain["id"] = data["ref"]
    return plain


def compile_ruleset(conditions: Mapping[str, list[dict]]) -> RuleSet:
    """Return the process-wide ruleset for these conditions, registering it on first use."""
    name = ruleset_name_for(conditions)
    with _host_lock:
        ruleset = _registered.get(name)
        if ruleset is None:
            ruleset = RuleSet(name, json.loads(json.dumps(conditions)))
            _registered[name] = ruleset
        return ruleset


def registered_ruleset_count() -> int:
    return len(_registered)
