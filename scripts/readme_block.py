"""Print the fenced code block of README.md that follows ``<!-- fresh-site: NAME -->``: the fresh-site
test (scripts/fresh_site.sh) runs the README's install section as written."""
import re
import sys
from pathlib import Path

readme, name = Path(sys.argv[1]).read_text(), sys.argv[2]
match = re.search(rf"<!-- fresh-site: {re.escape(name)} -->\s*```\w*\n(.*?)```", readme, re.S)
if not match:
    sys.exit(f"README.md has no block marked <!-- fresh-site: {name} -->")
print(match.group(1), end="")
