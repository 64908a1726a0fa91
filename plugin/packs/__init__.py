"""Rule packs: versioned YAML documents of parameters, templates and rules (docs/rule-packs.md)."""
from .loader import Pack, PackError, load_pack, load_pack_file  # noqa: F401
