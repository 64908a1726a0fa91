"""When durable-rules' C extension cannot load (Python 3.13 with upstream's 2.0.28: "undefined
symbol: PyEval_CallObject"), Masa's commands say what to install instead of a linker error."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from masa.rules import engine

ROOT = Path(__file__).resolve().parent.parent
BROKEN = '''raise ImportError(
    "durable_rules_engine.cpython-313-x86_64-linux-gnu.so: undefined symbol: PyEval_CallObject")
'''


def run_manage(tmp_path, *args):
    fake = tmp_path / "durable"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "engine.py").write_text(BROKEN)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT), str(ROOT / "example")]),
               DJANGO_SETTINGS_MODULE="tests.settings")
    return subprocess.run([sys.executable, "-m", "django", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_command_stops_with_what_to_install_when_the_engine_cannot_load(tmp_path):
    result = run_manage(tmp_path, "masa_worker", "--once")
    assert result.returncode != 0
    assert "masa.E020" in result.stderr
    assert "Masa's rules engine (durable-rules) could not be loaded" in result.stderr
    assert "undefined symbol: PyEval_CallObject" in result.stderr
    assert "pip install" in result.stderr and engine.ENGINE_DISTRIBUTION in result.stderr
    assert "Traceback" not in result.stderr


def test_check_names_the_problem_and_the_fix(tmp_path):
    result = run_manage(tmp_path, "check")
    assert result.returncode != 0 and "masa.E020" in result.stderr and "HINT:" in result.stderr


def test_an_evaluation_without_the_engine_fails_in_words(monkeypatch):
    monkeypatch.setattr(engine, "_durable", None)
    monkeypatch.setattr(engine, "_LOAD_ERROR", ImportError("undefined symbol: PyEval_CallObject"))
    monkeypatch.setattr(engine, "_host", None)
    with pytest.raises(engine.EngineError, match="could not be loaded.*pip install"):
        engine._get_host()


def test_the_engine_loads_here():
    assert engine.load_problem() is None
