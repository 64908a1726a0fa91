"""The shape of the code (docs/architecture.md): no import circles, imports inside functions
included, and no import that goes back up the pipeline."""
import ast
from pathlib import Path

import pytest

PLUGIN = Path(__file__).resolve().parents[1] / "plugin"

# The pipeline's stages in order; a module may import shared modules, its own stage and later
# stages, never an earlier one. Tools sit outside the pipeline and may import anything.
SHARED = {"masa", "masa.conf", "masa.models", "masa.events", "masa.eventstore", "masa.plans", "masa.durations",
          "masa.rendering", "masa.template_sandbox", "masa.tracking", "masa.ratelimit", "masa.rehearsal",
          "masa.timezones", "masa.money", "masa.sql", "masa.assignment", "masa.stores", "masa.consent", "masa.privacy", "masa.values",
          "masa.bidi", "masa.message_versions", "masa.approved_templates",
          "masa.preference", "masa.whatsapp_cloud", "masa.metrics"}
STAGES = ["masa.signals", "masa.rules", "masa.actions", "masa.delivery", "masa.channels|masa.saleor",
          "masa.feedback", "masa.reports"]
TOOLS = ("masa.admin", "masa.packs", "masa.jobs", "masa.management", "masa.templatetags", "masa.tasks", "masa.urls",
         "masa.wagtail_hooks", "masa.apps", "masa.worker", "masa.checks", "masa.health", "masa.engine_check",
         "masa.migration_history", "masa.wakeups")


def modules() -> dict[str, Path]:
    found = {}
    for path in PLUGIN.rglob("*.py"):
        parts = ["masa", *path.relative_to(PLUGIN).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict) -> set[str]:
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else [])) \
                if node.level else node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {target for target in found if target in known and target != name}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def stage(name: str) -> int | None:
    if name in SHARED:
        return None
    for index, prefixes in enumerate(STAGES):
        if any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes.split("|")):
            return index
    return None


def test_there_are_no_import_circles():
    edges = graph()
    cycles, index, low, stack, on_stack, counter = [], {}, {}, [], set(), [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    assert cycles == []


def test_no_module_imports_a_stage_before_its_own():
    backwards = []
    for name, targets in graph().items():
        if name.startswith(TOOLS) or stage(name) is None:
            continue
        for target in targets:
            if target.startswith(TOOLS):
                backwards.append(f"{name} → {target} (a tool)")
            elif stage(target) is not None and stage(target) < stage(name):
                backwards.append(f"{name} → {target}")
    assert backwards == []


def test_shared_modules_import_only_shared_modules():
    edges = graph()
    assert {name: sorted(t for t in edges[name] if t not in SHARED) for name in SHARED
            if any(t not in SHARED for t in edges[name])} == {}


@pytest.mark.parametrize("name", sorted(modules()))
def test_every_module_belongs_somewhere(name):
    assert name in SHARED or name.startswith(TOOLS) or stage(name) is not None, \
        f"{name}: add it to a stage in tests/test_architecture.py and docs/architecture.md"
