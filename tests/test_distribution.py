"""The package a shop installs: built without a warning, accepted by twine, and carrying every file
Masa needs at run time (migrations, templates, static files, translations, shipped packs)."""
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from masa import __version__

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["setup.cfg", "pyproject.toml", "README.md", "LICENSE", "plugin", "migrations", "packs"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """sdist and wheel built from a copy of the sources (the checkout's build/ is left alone)."""
    tree = tmp_path_factory.mktemp("tree")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(source, tree / name)
    out = tmp_path_factory.mktemp("dist")
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(tree)}
    result = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(tree)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return out, result.stdout + result.stderr


def wheel_names(out):
    with zipfile.ZipFile(next(out.glob("masa-*.whl"))) as wheel:
        return set(wheel.namelist())


def test_the_build_prints_no_warning(built):
    _, output = built
    warnings = [line for line in output.splitlines()
                if "warning" in line.lower() and "import_warnings" not in line]
    assert warnings == []


def test_twine_accepts_the_sdist_and_the_wheel(built):
    out, _ = built
    result = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, out.iterdir())],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_wheel_carries_what_masa_reads_at_run_time(built):
    out, _ = built
    names = wheel_names(out)
    migrations = {path.name for path in (ROOT / "migrations").glob("0*.py")}
    assert migrations and {f"masa/migrations/{name}" for name in migrations} <= names
    templates = {str(path.relative_to(ROOT / "plugin")) for path in (ROOT / "plugin/templates").rglob("*.html")}
    assert templates and {f"masa/{name}" for name in templates} <= names
    static = {str(path.relative_to(ROOT / "plugin")) for path in (ROOT / "plugin/static").rglob("*") if path.is_file()}
    assert static and {f"masa/{name}" for name in static} <= names
    assert {"masa/locale/he/LC_MESSAGES/django.po", "masa/locale/he/LC_MESSAGES/django.mo"} <= names
    packs = {str(path.relative_to(ROOT / "packs")) for path in (ROOT / "packs").rglob("*.yaml")}
    assert {"senior-care/pack.yaml", "ecommerce-starter/pack.yaml", "engagement/pack.yaml"} <= packs
    assert {f"masa/shipped_packs/{name}" for name in packs} <= names
    assert "masa/packs/pack.schema.json" in names
    graphql = {path.name for path in (ROOT / "plugin/saleor/graphql").glob("*.graphql")}
    assert graphql and {f"masa/saleor/graphql/{name}" for name in graphql} <= names
    python = {str(path.relative_to(ROOT / "plugin")) for path in (ROOT / "plugin").rglob("*.py")}
    assert {f"masa/{name}" for name in python} <= names


def test_the_wheel_holds_no_tests_or_build_leftovers(built):
    out, _ = built
    assert not [name for name in wheel_names(out)
                if name.startswith(("tests/", "bench/", "example/")) or "__pycache__" in name or name.endswith(".pyc")]


def test_the_version_comes_from_one_place_and_the_engine_from_a_marker(built):
    out, _ = built
    wheel = next(out.glob("masa-*.whl"))
    assert wheel.name == f"masa-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        metadata = Parser().parsestr(archive.read(f"masa-{__version__}.dist-info/METADATA").decode())
    requires = metadata.get_all("Requires-Dist")
    assert 'durable-rules==2.0.28; python_version < "3.13"' in requires
    assert 'masa-durable-rules==2.0.28.post1; python_version >= "3.13"' in requires
    with tarfile.open(out / f"masa-{__version__}.tar.gz") as sdist:
        assert f"masa-{__version__}/LICENSE" in sdist.getnames()
