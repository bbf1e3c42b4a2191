"""The course's claims have one home, docs/glossary.md, and it is held to the code both ways: every claim
code the verdicts in dockerctl/, the playbooks and the pages use has an entry there (a verdict citing a
code the glossary does not explain fails), and every playbook, script and command an entry names as its
proof exists — the command path in the CLI's help (dockerctl/help.json), each flag in that command's help."""

from __future__ import annotations

import ast
import json
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "docs" / "glossary.md"

# The course notes number their claims in these series (R1–R7 … V1–V2): every one gets an entry.
COURSE = {"R": 7, "K": 8, "N": 9, "C": 3, "O": 2, "S": 9, "X": 15, "V": 2}
CODE = r"[RKNCOSXV]\d{1,2}"
_LIST = re.compile(rf"^\s*(?:seed\s+)?{CODE}(?:\s*(?:,|–|-)\s*{CODE})*\s*$")
_SEED = re.compile(rf"\bseed\s+§?({CODE}(?:\s*(?:,|–|-|and)\s*§?{CODE})*)")
_CODE = re.compile(rf"\b{CODE}\b")
_RANGE = re.compile(rf"\b({CODE})\s*[–-]\s*({CODE})\b")
_ENTRY = re.compile(rf"^### ({CODE})$", re.M)
_PROOF = re.compile(r"^- \*\*Proved by:\*\* (.+)$", re.M)
_LINK = re.compile(r"glossary\.md#([a-z]\d{1,2})\b")


def _expand(text: str) -> set[str]:
    """Codes in a list such as "S3-S5" or "C1,C2" or "X3–X10", ranges expanded within one series."""
    codes = set(_CODE.findall(text))
    for a, b in _RANGE.findall(text):
        if a[0] == b[0]:
            codes |= {f"{a[0]}{n}" for n in range(int(a[1:]), int(b[1:]) + 1)}
    return codes


def codes_in_python(source: str) -> set[str]:
    """Codes a module carries: string constants that are a code list (what verdicts and fields carry)
    and every "seed X…" citation in its text (docstrings, comments, messages)."""
    found: set[str] = set()
    tree = ast.parse(source)
    # a key looked up in a protocol's body ("V6" in IPAM's RequestPool) is not a claim
    keys = {id(n.slice) for n in ast.walk(tree) if isinstance(n, ast.Subscript)}
    keys |= {
        id(n.args[0])
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "get" and n.args
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in keys
            and _LIST.match(node.value)
        ):
            found |= _expand(node.value)
    for match in _SEED.finditer(source):
        found |= _expand(match.group(1))
    return found


def codes_in_playbook(text: str) -> set[str]:
    return set(re.findall(rf"\bclaim:\s*[\"']?({CODE})\b", text))


def glossary_entries(text: str) -> dict[str, str]:
    """Each entry's code → its text (up to the next heading)."""
    parts = re.split(r"^#{2,3} ", text, flags=re.M)
    entries: dict[str, str] = {}
    for part in parts:
        head, _, body = part.partition("\n")
        if re.fullmatch(CODE, head.strip()):
            entries[head.strip()] = body
    return entries


def _help() -> dict[str, str]:
    return dict(json.loads((ROOT / "dockerctl" / "help.json").read_text()))


def command_problem(command: str, helps: dict[str, str]) -> str | None:
    """Why `dockerctl …` as an entry names it does not exist, or None."""
    words = shlex.split(command)[1:]
    path: list[str] = []
    for word in words:
        if word.startswith("-") or " ".join([*path, word]) not in helps:
            break
        path.append(word)
    if not path:
        return f"`{command}`: no such dockerctl command"
    text = helps[" ".join(path)]
    for word in words[len(path) :]:
        flag = word.split("=", 1)[0]
        if flag.startswith("-") and not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text):
            return f"`{command}`: `dockerctl {' '.join(path)}` has no option {flag}"
    return None


def entry_problems(code: str, body: str, root: Path, helps: dict[str, str]) -> list[str]:
    """What is wrong with one entry: no claim sentence, no "Proved by" line, a proof that does not exist."""
    problems: list[str] = []
    claim = body.strip().split("\n\n", 1)[0].strip()
    if not claim or claim.startswith("- **"):
        problems.append(f"{code}: no claim sentence")
    proof = _PROOF.search(body)
    if proof is None:
        return [*problems, f"{code}: no '- **Proved by:**' line"]
    line = proof.group(1)
    named = re.findall(r"`((?:playbooks|scripts|examples)/[^`\s]+)`", line)
    commands = [c for c in re.findall(r"`([^`]+)`", line) if c.startswith("dockerctl ")]
    if not named and not commands and not line.startswith("nothing"):
        problems.append(f"{code}: names no playbook or command and does not say that nothing proves it")
    for path in named:
        if not (root / path).exists():
            problems.append(f"{code}: {path} does not exist")
    for command in commands:
        problem = command_problem(command, helps)
        if problem:
            problems.append(f"{code}: {problem}")
    return problems


def test_the_glossary_has_every_claim_of_the_course_once_and_nothing_else() -> None:
    text = GLOSSARY.read_text()
    headings = _ENTRY.findall(text)
    assert len(headings) == len(set(headings)), "a claim code has two entries"
    expected = {f"{series}{n}" for series, count in COURSE.items() for n in range(1, count + 1)}
    assert set(headings) == expected, (
        f"missing: {sorted(expected - set(headings))}, unknown: {sorted(set(headings) - expected)}"
    )


def test_every_entry_says_the_claim_and_what_proves_it_and_that_exists() -> None:
    helps = _help()
    problems = [
        p
        for code, body in glossary_entries(GLOSSARY.read_text()).items()
        for p in entry_problems(code, body, ROOT, helps)
    ]
    assert not problems, "\n".join(problems)


def test_every_code_the_code_playbooks_and_pages_use_has_an_entry() -> None:
    entries = set(glossary_entries(GLOSSARY.read_text()))
    used: dict[str, set[str]] = {}
    for path in sorted((ROOT / "dockerctl").rglob("*.py")):
        for code in codes_in_python(path.read_text()):
            used.setdefault(code, set()).add(str(path.relative_to(ROOT)))
    for path in sorted((ROOT / "playbooks").glob("*.yaml")):
        for code in codes_in_playbook(path.read_text()):
            used.setdefault(code, set()).add(str(path.relative_to(ROOT)))
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        if path.exists():
            for anchor in _LINK.findall(path.read_text()):
                used.setdefault(anchor.upper(), set()).add(str(path.relative_to(ROOT)))
    # the scan must see what it is meant to see, or an empty scan would pass
    assert {"R1", "R5", "X13", "S9", "C3"} <= set(used)
    missing = {code: sorted(where) for code, where in used.items() if code not in entries}
    assert not missing, f"claim codes used without a glossary entry: {missing}"


def test_the_scanners_find_codes_in_verdicts_citations_and_ranges() -> None:
    source = 'CHECK = Check("memory", "R1")\nFIELD = ("volumes", "S3-S5")\n"""Namespaces (seed K2–K4, C3)."""\nX = "R12abc"\nif body.get("V6") or body["V6"]:\n    pass\n'
    assert codes_in_python(source) == {"R1", "S3", "S4", "S5", "K2", "K3", "K4", "C3"}
    assert codes_in_playbook("expect:\n  - {claim: X13, routed: {}}\n  - claim: 'O2'\n") == {"X13", "O2"}


def test_a_wrong_proof_is_named_with_its_code() -> None:
    helps = _help()
    body = "\nIt holds.\n\n- **Proved by:** playbook `playbooks/no-such.yaml`; `dockerctl limits web --no-such-flag`; `dockerctl frobnicate`.\n"
    problems = entry_problems("R9", body, ROOT, helps)
    assert any("playbooks/no-such.yaml does not exist" in p for p in problems)
    assert any("has no option --no-such-flag" in p for p in problems)
    assert any("no such dockerctl command" in p for p in problems)
    assert entry_problems("R9", "\nIt holds.\n", ROOT, helps) == ["R9: no '- **Proved by:**' line"]
    assert entry_problems("R9", "\nIt holds.\n\n- **Proved by:** a feeling.\n", ROOT, helps) == [
        "R9: names no playbook or command and does not say that nothing proves it"
    ]
