"""Print the fenced code block of a document (README.md, docs/deploy.md) that follows
``<!-- fresh-site: NAME -->``: the fresh-site test (scripts/fresh_site.sh) runs the documents'
commands as written."""
import re
import sys
from pathlib import Path

path, name = Path(sys.argv[1]), sys.argv[2]
match = re.search(rf"<!-- fresh-site: {re.escape(name)} -->\s*```\w*\n(.*?)```", path.read_text(), re.S)
if not match:
    sys.exit(f"{path.name} has no block marked <!-- fresh-site: {name} -->")
print(match.group(1), end="")
