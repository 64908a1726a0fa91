"""The system check that stops every command, with what to run, when the rules engine cannot load
(instead of a linker error at the first evaluation)."""
from django.core import checks

from .rules import engine


def engine_loads(app_configs=None, **kwargs):
    problem = engine.load_problem()
    if problem is None:
        return []
    what, fix = problem
    return [checks.Error(what, hint=fix, id="masa.E020")]
