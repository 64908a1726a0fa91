"""The rule packs that come with Masa (the repository's ``packs/``, installed inside the package as
``masa.shipped_packs``), by name: ``masa_pack import senior-care``, or *Import* in the admin."""
from __future__ import annotations

from importlib import resources


def shipped_packs() -> dict[str, str]:
    """Name → the text of its pack.yaml, for every pack that comes with Masa."""
    root = resources.files("masa.shipped_packs")
    return {entry.name: (entry / "pack.yaml").read_text(encoding="utf-8")
            for entry in sorted(root.iterdir(), key=lambda e: e.name)
            if entry.is_dir() and (entry / "pack.yaml").is_file()}


def shipped_source(name: str) -> str | None:
    return shipped_packs().get(name)
