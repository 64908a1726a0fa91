"""Build ``masa-durable-rules``: durable-rules 2.0.28 that loads on Python 3.13 and newer.

durable-rules 2.0.28 is the library's last release. Its C extension calls ``PyEval_CallObject``,
which Python 3.13 removed, so the extension pip builds from its sdist there fails to import
(``undefined symbol: PyEval_CallObject``). Masa depends, on Python 3.13+ only, on this
distribution instead: the same sources, fetched from PyPI as durable-rules' own sdist (checked
against its SHA-256), with that one call renamed to ``PyObject_CallObject`` (the same function
under its current name), published under its own name and a post-release version so that nobody
mistakes it for the upstream release. It installs the same ``durable`` package.

    python engine/build.py dist            # dist/masa_durable_rules-2.0.28.post1.tar.gz
    python engine/build.py dist --wheel    # and a wheel for the Python running this

The sdist is self-contained (pip builds it offline with a C compiler), so a shop installs Masa on
3.13 with ``pip install --find-links dist dist/masa-*.whl`` or from an index holding both. No
durable-rules code is kept in Masa's repository: it is fetched when this runs.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

UPSTREAM = "durable-rules==2.0.28"
UPSTREAM_SDIST = "durable_rules-2.0.28.tar.gz"
UPSTREAM_SHA256 = "053b26f5e48d312d4fa27995243f954671be6eece477f150c059c364eb4d7d61"
NAME = "masa-durable-rules"
VERSION = "2.0.28.post1"
BASENAME = f"masa_durable_rules-{VERSION}"
SUMMARY = ("durable-rules 2.0.28 for Python 3.13 and newer (PyEval_CallObject renamed "
           "PyObject_CallObject), built by Masa from durable-rules' own sdist")
DESCRIPTION = f"""# masa-durable-rules

[durable-rules](https://github.com/jruizgit/rules) 2.0.28 (MIT, by Jesus Ruiz), unchanged but
for one call: its C extension's `PyEval_CallObject`, which Python 3.13 removed, is
`PyObject_CallObject`, the same function under its current name. Built by Masa's
`engine/build.py` from durable-rules' own sdist (SHA-256 {UPSTREAM_SHA256}) for Masa on
Python 3.13 and newer. It installs the same `durable` package as durable-rules: install one of
the two, not both.
"""
# Every C source that named the removed function, and nothing else, changes.
RENAMES = {b"PyEval_CallObject(": b"PyObject_CallObject("}
PYPROJECT = b"""[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"
"""
# A fixed time for every member: the same inputs give the same sdist, byte for byte.
MTIME = 1_700_000_000


class BuildError(Exception):
    pass


def fetch_upstream(into: Path) -> Path:
    """durable-rules' sdist from the configured index, refused unless its SHA-256 is the known one."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                    UPSTREAM, "-d", str(into)], check=True)
    sdist = into / UPSTREAM_SDIST
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != UPSTREAM_SHA256:
        raise BuildError(f"{UPSTREAM_SDIST} has SHA-256 {digest}, expected {UPSTREAM_SHA256}: not building from it")
    return sdist


def patched(name: str, data: bytes) -> bytes:
    """A member of the upstream sdist as the new distribution holds it."""
    if name.endswith(".c"):
        for old, new in RENAMES.items():
            data = data.replace(old, new)
    elif name == "setup.py":
        data = data.replace(b"name = 'durable_rules'", f"name = {NAME!r}".encode())
        data = data.replace(b"version = '2.0.28'", f"version = {VERSION!r}".encode())
        data = data.replace(b"description = 'for real time analytics (a Python Rules Engine)'",
                            f"description = {SUMMARY!r}".encode())
        data = data.replace(b"long_description=long_description,",
                            f"long_description={DESCRIPTION!r}, long_description_content_type='text/markdown',".encode())
    elif name == "PKG-INFO":
        data = PKG_INFO.encode()
    return data


PKG_INFO = f"""Metadata-Version: 2.1
Name: {NAME}
Version: {VERSION}
Summary: {SUMMARY}
Home-page: https://github.com/jruizgit/rules
Author: Jesus Ruiz
Author-email: jr3791@live.com
License: MIT
Classifier: License :: OSI Approved :: MIT License
Classifier: Programming Language :: C
Classifier: Programming Language :: Python :: 3.13
Classifier: Programming Language :: Python :: 3.14
Description-Content-Type: text/markdown
License-File: LICENSE

{DESCRIPTION}"""


def build_sdist(upstream: Path, outdir: Path) -> Path:
    """Rewrite the upstream sdist under the new name and version; check that the rename happened."""
    target = outdir / f"{BASENAME}.tar.gz"
    renamed = 0
    buffer = io.BytesIO()
    with (tarfile.open(upstream) as source,
          gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=MTIME) as compressed,
          tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as out):
        members = sorted((m for m in source.getmembers() if m.isfile()), key=lambda m: m.name)
        for member in members:
            relative = member.name.split("/", 1)[1]
            if ".egg-info/" in relative:
                continue  # upstream's build metadata, under the old name: setuptools writes it anew
            data = source.extractfile(member).read()
            new = patched(relative, data)
            renamed += sum(data.count(old) for old in RENAMES) if relative.endswith(".c") else 0
            _add(out, f"{BASENAME}/{relative}", new)
        _add(out, f"{BASENAME}/pyproject.toml", PYPROJECT)
    if not renamed:
        raise BuildError(f"{UPSTREAM_SDIST} no longer calls PyEval_CallObject: review engine/build.py")
    for old in RENAMES:
        if old in _all_c_sources(buffer.getvalue()):
            raise BuildError("a PyEval_CallObject call was left in the sources")
    target.write_bytes(buffer.getvalue())
    return target


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), MTIME, 0o644
    info.uname = info.gname = ""
    archive.addfile(info, io.BytesIO(data))


def _all_c_sources(sdist: bytes) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(sdist)) as archive:
        return b"".join(archive.extractfile(m).read() for m in archive.getmembers() if m.name.endswith(".c"))


def build_wheel(sdist: Path, outdir: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(outdir), str(sdist)],
                   check=True)
    return max(outdir.glob("masa_durable_rules-*.whl"), key=lambda p: p.stat().st_mtime)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path, help="where the sdist (and wheel) go, e.g. dist")
    parser.add_argument("--wheel", action="store_true", help="also build a wheel for this Python")
    args = parser.parse_args(argv)
    args.outdir.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory() as work:
            sdist = build_sdist(fetch_upstream(Path(work)), args.outdir.resolve())
        print(f"built {sdist}")
        if args.wheel:
            print(f"built {build_wheel(sdist, args.outdir.resolve())}")
    except (BuildError, subprocess.CalledProcessError) as error:
        print(f"engine/build.py: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
