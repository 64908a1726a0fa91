"""The rule packs that ship with Masa, installed as ``masa.shipped_packs`` (see masa.packs.shipped)."""
