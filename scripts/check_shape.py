"""The shape `make lint` holds the product code to: no module over 500
lines, no function over 80 (unless the comment just above it says why it
stays whole), and no app over a quarter of the
product's code. Tests and migrations are not product code."""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 80
MAX_APP_SHARE = 0.25
REPOSITORY = Path(__file__).resolve().parent.parent
ROOT = REPOSITORY / "netdesk"


def product_files() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    )


def long_functions(path: Path, lines: list[str]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse("".join(lines), filename=str(path))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        length = (node.end_lineno or node.lineno) - first + 1
        above = lines[first - 2].strip() if first >= 2 else ""
        if length > MAX_FUNCTION_LINES and not above.startswith("#"):
            found.append(f"{path}:{node.lineno}: {node.name} has {length} lines")
    return found


def main() -> int:
    problems: list[str] = []
    per_app: Counter[str] = Counter()
    for path in product_files():
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        relative = path.relative_to(ROOT)
        path = path.relative_to(REPOSITORY)
        if len(relative.parts) > 1:
            per_app[relative.parts[0]] += len(lines)
        if len(lines) > MAX_FILE_LINES:
            problems.append(f"{path}: {len(lines)} lines (at most {MAX_FILE_LINES})")
        problems.extend(long_functions(path, lines))
    total = sum(per_app.values())
    for app, count in per_app.most_common():
        if count > MAX_APP_SHARE * total:
            problems.append(f"netdesk/{app}: {count} of {total} lines (at most a quarter)")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
