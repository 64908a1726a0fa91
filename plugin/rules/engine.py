"""The one adapter over durable-rules.

Nothing outside this module imports ``durable``. Rule packs compile to plain condition
dictionaries (durable-rules' JSON form); this module registers them, runs one evaluation at a
time and hands each match back to the caller. It works around the library's known traps
(docs/architecture.md, "durable-rules"):

* the host's background dispatch threads are never started: evaluation is synchronous;
* rulesets are named by the hash of their content and registered once per process, because
  durable-rules cannot replace or remove a ruleset (workers recycle to drop old ones);
* ``delete_state`` is never called; a bounded pool of session ids is reused and each session is
  emptied by retracting every fact asserted into it;
* every fact carries a unique ``id`` so that distinct facts do not look "already observed";
* an exception raised by an action (swallowed by durable-rules) is re-raised to the caller;
* the C engine has fixed tables per ruleset node (2.0.28, ``src/rules/rules.h``): at most 256
  rules end on one alpha node (``BETA_LIST_LENGTH``; more: error 108, so 257 rules on one trigger
  cannot be registered), 128 not-exists links (``NEXT_LIST_LENGTH``: error 107), 512 children
  (``NEXT_BUCKET_LENGTH``: a full table makes the first assertion spin forever, which is why 512
  rules hung), 4,096 actions per ruleset. Rules are therefore sharded: a shard holds rules whose
  *weight* (the number of alternatives their conditions expand to, ``condition_weight``) adds up
  to at most SHARD_WEIGHT, which keeps every table below its size; a single rule heavier than that
  is refused when its pack is validated (``rule_limit_problem``);
* a registration or assertion the C engine refuses is raised as EngineError, never as its own
  exception type, so the caller fails the events it was evaluating and goes on.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import sys
import threading
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

try:
    from durable import engine as _durable
except ImportError as error:  # its C extension did not load: say what to install, not the linker's words
    _durable, _LOAD_ERROR = None, error
else:
    _LOAD_ERROR = None

ENGINE_DISTRIBUTION = ("masa-durable-rules==2.0.28.post1" if sys.version_info >= (3, 13)
                       else "durable-rules==2.0.28")

SESSION_POOL_SIZE = 512
SHARD_WEIGHT = 100
# A run-away chain (rules that keep firing each other on new values) is stopped after this many
# firings per rule of the set; repeated firings on the same fact and value are caught earlier by
# the caller (evaluate: a cycle).
FIRINGS_PER_RULE = 4
MIN_FIRING_LIMIT = 200


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


def load_problem() -> tuple[str, str] | None:
    """(what is wrong, what to run) when durable-rules cannot be imported, else None."""
    if _durable is not None:
        return None
    python = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info >= (3, 13):
        fix = ("On Python 3.13 and newer Masa uses its own build of durable-rules. Run: pip uninstall -y "
               "durable-rules masa-durable-rules && pip install --find-links dist "
               f"{ENGINE_DISTRIBUTION} (dist: the folder Masa's wheel came from; in a checkout of Masa, "
               "python engine/build.py dist makes it).")
    else:
        fix = f"Run: pip install --force-reinstall {ENGINE_DISTRIBUTION}"
    return (f"Masa's rules engine (durable-rules) could not be loaded on Python {python}: {_LOAD_ERROR}", fix)


def _host_class():
    class QuietHost(_durable.Host):
        """A durable-rules host without background threads; actions resolve to the adapter."""

        def _run(self):
            return None

        def get_action(self, action_name):
            def dispatch(c):
                _current.run.on_match(action_name, c)

            return dispatch

    return QuietHost


_host_lock = threading.RLock()
_host = None
_registered: dict[str, "RuleSet"] = {}
_current = threading.local()


def _get_host():
    global _host
    if _host is None:
        problem = load_problem()
        if problem:
            raise EngineError(" ".join(problem))
        _host = _host_class()()
    return _host


def ruleset_name_for(conditions: Mapping[str, list[dict]]) -> str:
    digest = hashlib.sha256(json.dumps(conditions, sort_keys=True).encode()).hexdigest()
    return f"masa_{digest[:24]}"


def _weight(expression) -> int:
    if isinstance(expression, dict):
        total = 1
        for operator, operand in expression.items():
            if operator == "$or" and isinstance(operand, list):
                total *= max(1, sum(_weight(item) for item in operand))
            elif operator == "$and" and isinstance(operand, list):
                for item in operand:
                    total *= _weight(item)
            elif isinstance(operand, dict):
                total *= _weight(operand)
        return total
    return 1


def condition_weight(condition: list[dict]) -> int:
    """How many alternatives a rule's condition expands to (``$or`` adds, ``$and`` multiplies)."""
    total = 1
    for pattern in condition:
        for expression in pattern.values():
            total *= _weight(expression)
    return total


MAX_FACT_PROPERTIES = 250  # the C engine takes at most 255 properties per fact (MAX_OBJECT_PROPERTIES)


def referenced_properties(conditions: Iterable[list[dict]]) -> frozenset:
    """Every fact property these conditions read: a fact needs only these to be matched."""
    found, stack = set(), [pattern for condition in conditions for pattern in condition]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                if key.startswith("$"):
                    stack.append(value)
                elif isinstance(value, dict) and any(str(k).startswith("$") for k in value):
                    found.add(key)
                    stack.append(value)
                elif key not in ("e", "c", "f") or not isinstance(value, dict):
                    found.add(key)
                else:
                    stack.append(value)
    return frozenset(found)


def rule_limit_problem(condition: list[dict]) -> str | None:
    """Why the engine cannot hold this rule, or None."""
    weight = condition_weight(condition)
    if weight > SHARD_WEIGHT:
        return (f"its conditions expand to {weight} alternatives (each 'any' or list of values multiplies "
                f"them); the rules engine takes at most {SHARD_WEIGHT} per rule: split it into several rules")
    return None


class _Shard:
    """One durable-rules ruleset holding rules of at most SHARD_WEIGHT alternatives, with its sessions."""

    def __init__(self, name: str, definition: dict):
        self.name = name
        self.free_sessions = [str(i) for i in range(SESSION_POOL_SIZE - 1, -1, -1)]
        try:
            _get_host().set_rulesets({name: definition})
        except Exception as error:  # the C engine's own exception type: see the module docstring
            raise EngineError(f"the rules engine refused {len(definition)} rules ({name}): {error}") from error


class RuleSet:
    """A compiled, registered set of rules: rule id → list of ``{alias: pattern}`` dicts (all must match).

    Split into shards by weight (module docstring); every fact goes into every shard, so chaining
    crosses them.
    """

    def __init__(self, name: str, conditions: Mapping[str, list[dict]]):
        self.name = name
        self.rule_ids = list(conditions)
        self._by_durable_name = {f"r{i}": rule_id for i, rule_id in enumerate(self.rule_ids)}
        self.firing_limit = max(MIN_FIRING_LIMIT, FIRINGS_PER_RULE * len(self.rule_ids))
        self._shards = []
        chunk, weight = [], 0
        for i, rule_id in enumerate(self.rule_ids):
            rule_weight = condition_weight(conditions[rule_id])
            if rule_weight > SHARD_WEIGHT:
                raise EngineError(f"rule {rule_id!r}: {rule_limit_problem(conditions[rule_id])}")
            if chunk and weight + rule_weight > SHARD_WEIGHT:
                self._add_shard(chunk, conditions)
                chunk, weight = [], 0
            chunk.append(i)
            weight += rule_weight
        if chunk:
            self._add_shard(chunk, conditions)

    def _add_shard(self, indexes: list[int], conditions) -> None:
        definition = {f"r{i}": {"all": conditions[self.rule_ids[i]], "run": f"r{i}"} for i in indexes}
        self._shards.append(_Shard(f"{self.name}_{len(self._shards)}", definition))

    def rule_id_for(self, durable_name: str) -> str:
        return self._by_durable_name[durable_name]

    def run(self, facts: Iterable[dict], on_fire: FireCallback) -> list[Firing]:
        """Assert ``facts`` into empty sessions, call ``on_fire`` per match, return all firings.

        ``on_fire`` may return new facts; they are asserted at once, which is how one rule's
        outcome fires further rules (forward chaining). A returned fact whose ``id`` is already
        in the session replaces that fact.
        """
        if not self.rule_ids:
            return []
        with _host_lock:
            if any(not shard.free_sessions for shard in self._shards):
                raise EngineError(f"ruleset {self.name}: every session id is unusable; restart the worker")
            run = _Run(self, on_fire, [(shard, shard.free_sessions.pop()) for shard in self._shards])
            _current.run = run
            try:
                for fact in facts:
                    run.assert_everywhere(fact)
                    run.raise_pending()
            finally:
                _current.run = None
                run.release()
            return run.firings


class _Run:
    """State of one evaluation: the session used in each shard, asserted facts, firings, errors."""

    def __init__(self, ruleset: RuleSet, on_fire: FireCallback, sessions: list):
        self.ruleset = ruleset
        self.on_fire = on_fire
        self.sessions = sessions
        self.firings: list[Firing] = []
        self.asserted: dict[str, list[dict]] = {shard.name: [] for shard, _ in sessions}
        self.error: EngineError | None = None
        self._ids = itertools.count()

    def assert_everywhere(self, fact: dict, closure=None, closure_shard: str | None = None) -> None:
        fact_id = f"{next(self._ids)}"
        for shard, sid in self.sessions:
            target = closure if shard.name == closure_shard else None
            self._assert(shard, sid, fact, fact_id, target)

    def _assert(self, shard: _Shard, sid: str, fact: dict, fact_id: str, closure) -> None:
        if fact.get("id") is not None:
            self._retract_ref(shard, fact["id"], closure)
        prepared = {**fact, "ref": fact.get("id"), "sid": sid, "id": f"{sid}:{fact_id}"}
        for attempt in range(3):
            try:
                if closure is not None:
                    closure.assert_fact(prepared)
                else:
                    _get_host().assert_fact(shard.name, prepared)
                break
            except _durable.MessageNotHandledException:
                return
            except _durable.MessageObservedException:
                prepared["id"] = f"{prepared['id']}~{attempt}"
            except EngineError:
                raise
            except Exception as error:  # the C engine's own exception type
                raise EngineError(f"the rules engine refused a fact: {error}") from error
        else:
            raise EngineError(f"fact {fact.get('id')!r} could not be asserted (hash collision)")
        self.asserted[shard.name].append(prepared)

    def _retract_ref(self, shard: _Shard, ref, closure) -> None:
        asserted = self.asserted[shard.name]
        for previous in [f for f in asserted if f["ref"] == ref]:
            try:
                if closure is not None:
                    closure.retract_fact(previous)
                else:
                    _get_host().retract_fact(shard.name, previous)
            except _durable.MessageNotHandledException:
                pass
            asserted.remove(previous)

    def on_match(self, durable_name: str, c) -> None:
        if self.error is not None:
            return
        matched = {alias: _plain(fact) for alias, fact in c._m.items()}
        rule_id = self.ruleset.rule_id_for(durable_name)
        firing = Firing(rule_id=rule_id, matched=matched)
        self.firings.append(firing)
        if len(self.firings) > self.ruleset.firing_limit:
            self.error = ChainLimitError(
                f"the rules form a cycle: more than {self.ruleset.firing_limit} rule firings for one event "
                f"({FIRINGS_PER_RULE} per rule), they keep firing each other (last: {rule_id!r})"
            )
            return
        try:
            for fact in self.on_fire(firing) or ():
                self.assert_everywhere(fact, closure=c, closure_shard=c._ruleset._name)
        except EngineError as error:
            self.error = error
        except Exception as error:
            self.error = RuleActionError(rule_id, error)

    def raise_pending(self) -> None:
        if self.error is not None:
            raise self.error

    def release(self) -> None:
        """Empty every session by retracting its facts; a session that will not empty is retired."""
        for shard, sid in self.sessions:
            clean = True
            for fact in reversed(self.asserted[shard.name]):
                try:
                    _get_host().retract_fact(shard.name, fact)
                except _durable.MessageNotHandledException:
                    pass
                except Exception:
                    clean = False
            self.asserted[shard.name].clear()
            if clean:
                shard.free_sessions.append(sid)


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
