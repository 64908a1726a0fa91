"""Rule packs from the command line: validate, test, import, export, upgrade, simulate; an agency's
signed releases: keygen, sign, verify."""
import json
import math
from pathlib import Path

import yaml

from django.core.management.base import BaseCommand, CommandError

from ...models import RulePack
from ...packs import PackError, load_pack, load_pack_file
from ...packs.shipped import shipped_packs, shipped_source
from ...packs.import_warnings import import_warnings
from ...packs.installer import export_pack, import_pack, upgrade_pack
from ...packs.rehearsal_database import NoRehearsalDatabase, rehearsal_database
from ...packs.scenarios import run_file
from ...packs.simulate import simulate
from ...packs import signing


# Parameter types whose value is a text: ``--set`` keeps it as written, commas and all.
TEXT_TYPES = {"string", "category", "product"}


def _value(text: str, spec: dict | None = None):
    """A ``--set`` value, read by the parameter's type: a list takes JSON (``["a", "b"]``) or a
    comma list (``walkers, wheelchairs``); a text stays as written (``Hello, there``, ``42``; a JSON
    string is unquoted); anything else, or an unknown parameter, is JSON (``3``, ``true``,
    ``{"pads-60": "60d"}``), else the text. JSON's ``NaN``, ``Infinity`` and numbers too large for
    a float (``1e400``) are no JSON here: the database could not store them."""
    try:
        value = json.loads(text, parse_constant=_not_a_number, parse_float=_finite)
    except ValueError:  # json.JSONDecodeError, or a number that is not finite
        value = text
    kind = spec.get("type", "string") if spec is not None else None
    if kind in TEXT_TYPES:
        return value if isinstance(value, str) else text
    if kind == "list" and value is text and text.lstrip().startswith("["):
        raise CommandError(f"{text[:60]!r} is not a JSON list: write [\"a\", \"b\"] or a,b")
    if kind == "list" and not isinstance(value, list):
        value = [item.strip() for item in (value if isinstance(value, str) else text).split(",") if item.strip()]
    return value


def _not_a_number(text: str):
    raise ValueError(f"{text} is not a number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is too large")
    return number


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
                                           "sending nothing and keeping nothing; on a site not migrated yet, "
                                           "on a throwaway database migrated for the run")
        test.add_argument("file", help="a pack.yaml, or the name of a shipped pack")
        test.add_argument("--scenarios", help="the scenarios file (default: scenarios.yaml beside the pack)")
        test.add_argument("-k", dest="only", help="only scenarios whose name contains this")
        do_import = sub.add_parser("import", help="install a pack (atomic): a file, or the name of a shipped pack")
        do_import.add_argument("file", help=f"a pack.yaml, or one of: {', '.join(shipped_packs())}")
        do_import.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                               help="a parameter value for this shop: a list as a,b or JSON ([\"a\", \"b\"]); "
                                    "a text as written; anything else JSON (3, true, {\"pads-60\": \"60d\"})")
        export = sub.add_parser("export", help="write an installed pack as YAML")
        export.add_argument("pack_id")
        export.add_argument("-o", "--output")
        upgrade = sub.add_parser("upgrade", help="move an installed pack to a new version")
        upgrade.add_argument("file", help="a pack.yaml, or the name of a shipped pack")
        upgrade.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
        upgrade.add_argument("--take-pack", action="append", default=[], metavar="ITEM",
                             help="a conflict (both the shop and the pack changed it) where the pack's version is "
                                  "taken; without a choice the shop's stays (repeatable; the ids are printed)")
        upgrade.add_argument("--keep-shop", action="append", default=[], metavar="ITEM",
                             help="a conflict where the shop's version stays (the default; repeatable)")
        upgrade.add_argument("--choices", metavar="FILE",
                             help="a YAML or JSON file mapping conflict ids to shop or pack")
        sim = sub.add_parser("simulate", help="what a pack would have done over the last N days")
        sim.add_argument("pack", help="a pack file, or the id of an installed pack")
        sim.add_argument("--days", type=int, default=30)
        keygen = sub.add_parser("keygen", help="make an agency's Ed25519 signing key; print the public key shops paste")
        keygen.add_argument("-o", "--output", required=True,
                            help="where to write the private key (PEM); keep it secret")
        sign = sub.add_parser("sign", help="sign a pack release: write FILE.sig beside it")
        sign.add_argument("file", help="the pack.yaml to publish (signed byte for byte)")
        sign.add_argument("--key", required=True, help="the agency's private key (PEM)")
        verify = sub.add_parser("verify", help="check FILE.sig against a public key, as a subscribed shop does")
        verify.add_argument("file")
        verify.add_argument("--public-key", required=True, help="the public key (base64 or a PEM file)")
        verify.add_argument("--signature", help="the signature file (default: FILE.sig)")

    def execute(self, *args, **options):
        # Checking and testing packs reads no database before it must: the site's checks query it
        # (and would create an empty SQLite file on a fresh site); ``test`` picks its own.
        if options.get("action") in ("validate", "test"):
            options["skip_checks"] = True
        return super().execute(*args, **options)

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
        try:
            text = _scenarios_text(file, scenarios)
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"the scenarios file cannot be read: {error}") from None
        try:
            document = yaml.safe_load(text) or {}
        except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as error:
            # YAML's own errors, and its dates (2026-13-45 is read as a date, and is none).
            raise CommandError(f"the scenarios file is not valid YAML: {str(error)[:300]}") from None
        if only and isinstance(document, dict) and isinstance(document.get("scenarios"), list):
            document["scenarios"] = [s for s in document["scenarios"]
                                     if isinstance(s, dict) and only in str(s.get("name", ""))]
        try:
            with rehearsal_database(self.stdout.write):
                results = run_file(pack, document)
        except NoRehearsalDatabase as error:
            raise CommandError(str(error)) from error
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
        pack, values = _pack(file), {}
        for item in set:
            name, equals, text = item.partition("=")
            if not equals or not name.strip():
                raise CommandError(f"--set {item[:60]!r}: write NAME=VALUE (e.g. --set offer_percent=15)")
            values[name] = _value(text, pack.parameters.get(name))
        for warning in import_warnings(pack):  # worth knowing, never a refusal
            self.stdout.write(f"warning: {warning}".replace("\u2068", "").replace("\u2069", ""))
        self.stdout.write(str(import_pack(pack, values)))

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

    def do_upgrade(self, file, dry_run=False, take_pack=(), keep_shop=(), choices=None, **options):
        chosen = {}
        if choices:
            try:
                chosen = yaml.safe_load(Path(choices).read_text(encoding="utf-8")) or {}
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
                raise CommandError(f"{choices}: cannot be read: {error}") from error
            if not isinstance(chosen, dict):
                raise CommandError(f"{choices}: a mapping of conflict ids to shop or pack")
        chosen.update({item: "pack" for item in take_pack or ()})
        chosen.update({item: "shop" for item in keep_shop or ()})
        report = upgrade_pack(_pack(file), dry_run=dry_run, choices=chosen)
        self.stdout.write(str(report))
        conflicts = [item for item in report.items if item.kind == "conflict"]
        if conflicts:
            self.stdout.write("conflicts (both the shop and the pack changed them; choose with --take-pack ITEM or "
                              "--keep-shop ITEM):")
            for item in conflicts:
                how = "the pack's" if item.applied == "pack" else \
                    "yours (chosen)" if item.id in chosen else "yours (no choice given: the shop's stays)"
                self.stdout.write(f"  {item.id}: {how}")

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

    def do_keygen(self, output, **options):
        path = Path(output)
        if path.exists():
            raise CommandError(f"{path} exists: not overwriting a key")
        pem, public = signing.generate()
        path.touch(mode=0o600)
        path.write_bytes(pem)
        self.stdout.write(f"wrote the private key to {path} (keep it secret; sign with: masa_pack sign pack.yaml "
                          f"--key {path})")
        self.stdout.write("public key (shops paste it when subscribing):")
        self.stdout.write(public)
        self.stdout.write(f"fingerprint: {signing.fingerprint(public)}")

    def do_sign(self, file, key, **options):
        try:
            private = signing.load_private_key(Path(key).read_bytes())
            data = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(str(error)) from error
        except signing.SigningError as error:
            raise CommandError(f"{key}: {error}") from error
        try:
            load_pack(data.decode("utf-8"), file)  # a release that is not a valid pack is not signed
        except UnicodeDecodeError as error:
            raise CommandError(f"{file}: not UTF-8 text") from error
        target = Path(f"{file}.sig")
        target.write_text(signing.sign(data, private), encoding="ascii")
        public = signing.public_text(private.public_key())
        self.stdout.write(f"wrote {target}: publish it beside {Path(file).name} (the signature covers its exact "
                          f"bytes). Key fingerprint: {signing.fingerprint(public)}")

    def do_verify(self, file, public_key, signature=None, **options):
        try:   # a file holding the key, or the key itself (a name too long for a file is the key)
            key_text = Path(public_key).read_text(encoding="utf-8") if Path(public_key).is_file() else public_key
        except (OSError, ValueError):   # UnicodeDecodeError is a ValueError
            key_text = public_key
        try:
            signing.verify(Path(file).read_bytes(), Path(signature or f"{file}.sig").read_bytes(), key_text)
            fingerprint = signing.fingerprint(key_text)
        except OSError as error:
            raise CommandError(str(error)) from error
        except signing.SigningError as error:
            raise CommandError(f"{file}: {error}") from error
        self.stdout.write(f"{file}: the signature is valid for the key {fingerprint}")
