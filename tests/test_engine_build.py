"""engine/build.py: durable-rules' own sources under Masa's name, with only the removed call renamed."""
import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location("engine_build", Path(__file__).resolve().parent.parent / "engine/build.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)


def test_only_the_removed_call_is_renamed_in_c_sources():
    source = b"result = PyEval_CallObject(callback, args); PyEval_CallObjectWithKeywords(x);"
    assert build.patched("src/rulespy/rules.c", source) == (
        b"result = PyObject_CallObject(callback, args); PyEval_CallObjectWithKeywords(x);")
    assert build.patched("libpy/durable/engine.py", source) == source


def test_the_distribution_is_renamed_in_setup_and_metadata():
    setup = b"setup (\n    name = 'durable_rules',\n    version = '2.0.28',\n"
    assert build.patched("setup.py", setup) == b"setup (\n    name = 'masa-durable-rules',\n    version = '2.0.28.post1',\n"
    info = b"Metadata-Version: 1.0\nName: durable_rules\nVersion: 2.0.28\nSummary: for real time analytics\n"
    patched = build.patched("PKG-INFO", info).decode()
    assert "Name: masa-durable-rules\n" in patched and "Version: 2.0.28.post1\n" in patched
    assert "Name: durable_rules" not in patched and build.UPSTREAM_SHA256 in patched
    setup = build.patched("setup.py", b"    long_description=long_description,\n").decode()
    assert "long_description_content_type='text/markdown'" in setup and "PyObject_CallObject" in setup


def test_masa_depends_on_the_version_this_script_builds():
    setup_cfg = (Path(__file__).resolve().parent.parent / "setup.cfg").read_text()
    assert f'{build.NAME}=={build.VERSION}; python_version >= "3.13"' in setup_cfg
