"""SECURITY.md names, for every attack tried, the test that refuses it: each name must
still be a test function in the file it names (a rename or a deletion fails here)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def test_every_test_security_md_names_exists():
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    references = REFERENCE.findall(text)
    assert len(references) >= 30, "SECURITY.md names fewer tests than it did: a table was lost?"
    missing = []
    for path, name in references:
        source = ROOT / path
        if not source.is_file():
            missing.append(f"{path} (no such file)")
            continue
        functions = {node.name for node in ast.walk(ast.parse(source.read_text(encoding="utf-8")))
                     if isinstance(node, ast.FunctionDef)}
        if name not in functions:
            missing.append(f"{path}::{name}")
    assert not missing, f"SECURITY.md names tests that do not exist: {missing}"
