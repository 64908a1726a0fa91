"""Rule packs from the command line: validate, test, import, export, upgrade, simulate."""
import json
from pathlib import Path

import yaml

from django.core.management.base import BaseCommand, CommandError

from ...models import RulePack
from ...packs import PackError, load_pack, load_pack_file
from ...packs.shipped import shipped_packs, shipped_source
from ...packs.installer import export_pack, import_pack, upgrade_pack
from ...packs.scenarios import run_file
from ...packs.simulate import simulate


def _value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _pack(file: str):
    """A pack file, or a pack that ships with Masa named by its folder (``senior-care``)."""
    source = shipped_source(file) if not Path(file).exists() else None
    return load_pack(source, f"{file} (shipped with Masa)") if source is not None else load_pack_file(file)


def _scenarios_text(file: str, scenarios: str | None) -> str:
    if scenarios:
        return Path(scenarios).read_text(encoding="utf-8")
    if Path(file).exists():
        beside = Path(file).with_name("scenarios.yaml")
        if not beside.exists():
            raise CommandError(f"{beside} does not exist: name the scenarios file with --scenarios")
        return beside.read_text(encoding="utf-8")
    from importlib import resources

    shipped = resources.files("masa.shipped_packs") / file / "scenarios.yaml"
    if not shipped.is_file():
        raise CommandError(f"no scenarios for {file!r}: name the file with --scenarios")
    return shipped.read_text(encoding="utf-8")


class Command(BaseCommand):
    help = "Validate, test, import, export, upgrade or simulate Masa rule packs."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        validate = sub.add_parser("validate", help="check pack files; print every problem")
        validate.add_argument("files", nargs="+")
        test = sub.add_parser("test", help="play a pack's scenarios (its scenarios.yaml) on the live path, "
                                           "sending nothing and keeping nothing")
        test.add_argument("file", help="a pack.yaml, or the name of a shipped pack")
        test.add_argument("--scenarios", help="the scenarios file (default: scenarios.yaml beside the pack)")
        test.add_argument("-k", dest="only", help="only scenarios whose name contains this")
        do_import = sub.add_parser("import", help="install a pack (atomic): a file, or the name of a shipped pack")
        do_import.add_argument("file", help=f"a pack.yaml, or one of: {', '.join(shipped_packs())}")
        do_import.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                               help="a parameter value for this shop (JSON or text)")
        export = sub.add_parser("export", help="write an installed pack as YAML")
        export.add_argument("pack_id")
        export.add_argument("-o", "--output")
        upgrade = sub.add_parser("upgrade", help="move an installed pack to a new version")
        upgrade.add_argument("file", help="a pack.yaml, or the name of a shipped pack")
        upgrade.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
        sim = sub.add_parser("simulate", help="what a pack would have done over the last N days")
        sim.add_argument("pack", help="a pack file, or the id of an installed pack")
        sim.add_argument("--days", type=int, default=30)

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except PackError as error:
            raise CommandError("\n".join(error.problems)) from error

    def do_validate(self, files, **options):
        problems = []
        for path in files:
            try:
                pack = load_pack_file(path)
                self.stdout.write(f"{path}: {pack.pack_id} {pack.version} is valid ({len(pack.rules)} rules)")
            except PackError as error:
                problems += error.problems
        if problems:
            raise PackError(problems)

    def do_test(self, file, scenarios=None, only=None, **options):
        pack = _pack(file)
        document = yaml.safe_load(_scenarios_text(file, scenarios)) or {}
        if only:
            document["scenarios"] = [s for s in document.get("scenarios") or [] if only in s.get("name", "")]
        results = run_file(pack, document)
        for result in results:
            self.stdout.write(f"{'ok  ' if result.passed else 'FAIL'}  {result.name}")
            for problem in result.problems:
                self.stdout.write(f"        {problem}")
        failed = sum(not result.passed for result in results)
        summary = f"{pack.pack_id} {pack.version}: {len(results) - failed} of {len(results)} scenarios pass"
        if failed:
            raise CommandError(summary)
        self.stdout.write(summary)

    def do_import(self, file, set, **options):
        values = {}
        for item in set:
            name, _, text = item.partition("=")
            values[name] = _value(text)
        self.stdout.write(str(import_pack(_pack(file), values)))

    def do_export(self, pack_id, output=None, **options):
        if not RulePack.objects.filter(pack_id=pack_id).exists():
            raise CommandError(f"no installed pack {pack_id!r}")
        text = export_pack(pack_id)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stdout.write(f"wrote {output}")
        else:
            self.stdout.write(text)

    def do_upgrade(self, file, dry_run=False, **options):
        self.stdout.write(str(upgrade_pack(_pack(file), dry_run=dry_run)))

    def do_simulate(self, pack, days, **options):
        if RulePack.objects.filter(pack_id=pack).exists():
            pack_id, document = pack, None
        else:
            document = load_pack_file(pack)
            pack_id = document.pack_id
        results = simulate(pack_id, days, document)
        self.stdout.write(f"{pack_id}: {len(results)} actions over the last {days} days (nothing was written)")
        for item in results:
            self.stdout.write(f"  {item.due_at:%Y-%m-%d %H:%M}  {item.rule_id:<24} {item.email:<28} "
                              f"{item.kind:<12} {item.status:<9} {item.note}")
            if item.subject:
                self.stdout.write(f"      subject: {item.subject}")
