"""pack.schema.json is generated (``masa.packs.schema``, from the step kinds, event types, guards
and conditions): the committed file is what the code assembles now."""
from masa.packs.schema import PATH, assemble, render
from masa.rules.steps import STEPS


def test_the_committed_schema_is_the_assembled_one():
    assert PATH.read_text() == render(), "plugin/packs/pack.schema.json is stale: run make schema"


def test_the_step_description_names_every_kind():
    step = assemble()["$defs"]["step"]
    assert set(step["properties"]) == set(STEPS)
    assert all(name in step["description"] for name in STEPS)
