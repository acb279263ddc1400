#!/usr/bin/env python3
"""Fails if the top-level modules of any crate under crates/ depend on each
other in a cycle.

For every crate root in crates/*/src (lib.rs, main.rs, bin/*.rs,
bin/*/main.rs) the nodes are its top-level modules (`mod x;` or an inline
`mod x { ... }` in the root file) and there is an edge a -> b when a file of
module a names `crate::b...`, or `crate::Name` where the root re-exports
Name from b (`pub use b::Name;`, `pub use b::*;`) or b defines an exported
macro Name. Comments (doc comments included), the contents of string
literals and `#[cfg(test)]` modules are left out: they are not what the
module depends on. ARCHITECTURE.md states the order the modules keep.

Every cycle fails.

Usage: scripts/check-module-cycles.py [--graph] [WORKSPACE_ROOT]
--graph also prints every crate root's edges. Exit status 0 with no cycle,
1 listing every cycle, 2 on a source it cannot read (a `#[path]` module, a
module file that is missing).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"



class Unsupported(Exception):
    """A source layout this check cannot follow; it must not pass silently."""


def blank(source: str) -> str:
    """`source` with comments and the contents of string and char literals
    replaced by spaces (newlines kept, so offsets and line numbers stay)."""
    out = list(source)
    i, n = 0, len(source)

    def wipe(start: int, end: int) -> None:
        for k in range(start, min(end, n)):
            if out[k] != "\n":
                out[k] = " "

    def ident_char(k: int) -> bool:
        return 0 <= k < n and (source[k].isalnum() or source[k] == "_")

    while i < n:
        c = source[i]
        nxt = source[i + 1] if i + 1 < n else ""
        if c == "/" and nxt == "/":
            end = source.find("\n", i)
            end = n if end == -1 else end
            wipe(i, end)
            i = end
        elif c == "/" and nxt == "*":
            depth, j = 1, i + 2
            while j < n and depth:
                if source.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif source.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            wipe(i, j)
            i = j
        elif c in "rb" and not ident_char(i - 1) and re.match(r"(?:br|r)#*\"", source[i:]):
            raw = re.match(r"(?:br|r)(#*)\"", source[i:])
            assert raw is not None
            start = i + raw.end()
            close = '"' + raw.group(1)
            end = source.find(close, start)
            end = n if end == -1 else end
            wipe(start, end)
            i = end + len(close)
        elif c == '"':
            j = i + 1
            while j < n and source[j] != '"':
                j += 2 if source[j] == "\\" else 1
            wipe(i + 1, j)
            i = j + 1
        elif c == "'":
            # A char literal ('a', '\n', '\u{1F600}'), not a lifetime ('a).
            if nxt == "\\":
                end = source.find("'", i + 3)
                end = n if end == -1 else end
                wipe(i + 1, end)
                i = end + 1
            elif i + 2 < n and source[i + 2] == "'":
                wipe(i + 1, i + 2)
                i += 3
            else:
                i += 1
        else:
            i += 1
    return "".join(out)


def matching_brace(text: str, open_at: int) -> int:
    """The offset just past the `}` closing the `{` at `open_at`."""
    depth = 0
    for k in range(open_at, len(text)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return k + 1
    raise Unsupported(f"unbalanced braces from offset {open_at}")


ATTRS = r"(?P<attrs>(?:#\s*\[[^\]]*\]\s*)*)"
MOD_DECL = re.compile(ATTRS + r"(?:pub(?:\s*\([^)]*\))?\s+)?mod\s+(?P<name>" + IDENT + r")\s*(?P<end>[;{])")
CFG_TEST = re.compile(r"#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]")


def depth_at(text: str, offset: int) -> int:
    return text.count("{", 0, offset) - text.count("}", 0, offset)


def without_test_modules(text: str) -> str:
    """`text` (already blanked) without its `#[cfg(test)]` modules."""
    out = list(text)
    for m in MOD_DECL.finditer(text):
        if not CFG_TEST.search(m.group("attrs")):
            continue
        end = m.end() if m.group("end") == ";" else matching_brace(text, m.end() - 1)
        for k in range(m.start(), end):
            if out[k] != "\n":
                out[k] = " "
    return "".join(out)


@dataclass
class Module:
    name: str
    # (path, blanked text) of every file (or inline body) of the module.
    parts: list[tuple[Path, str]] = field(default_factory=list)


def read(path: Path) -> str:
    return without_test_modules(blank(path.read_text(encoding="utf-8")))


def module_files(decl_file: Path, name: str, is_dir_owner: bool) -> Path:
    """Where `mod name;` declared in `decl_file` lives."""
    base = decl_file.parent if is_dir_owner else decl_file.parent / decl_file.stem
    for candidate in (base / f"{name}.rs", base / name / "mod.rs"):
        if candidate.is_file():
            return candidate
    raise Unsupported(f"{decl_file}: no file for `mod {name};`")


def owns_dir(path: Path, root: Path) -> bool:
    """Whether `path`'s submodules live beside it (a crate root or mod.rs)."""
    return path == root or path.name == "mod.rs"


def collect(path: Path, root: Path, text: str, module: Module) -> None:
    """Adds `path` and, recursively, the files of its submodules."""
    module.parts.append((path, text))
    for m in MOD_DECL.finditer(text):
        if m.group("end") != ";":
            continue
        if re.search(r"#\s*\[\s*path\b", m.group("attrs")):
            raise Unsupported(f"{path}: `#[path]` on `mod {m.group('name')}`")
        if depth_at(text, m.start()) != 0:
            raise Unsupported(f"{path}: `mod {m.group('name')};` inside an inline module")
        child = module_files(path, m.group("name"), owns_dir(path, root))
        collect(child, root, read(child), module)


def root_modules(root: Path) -> dict[str, Module]:
    text = read(root)
    modules: dict[str, Module] = {}
    for m in MOD_DECL.finditer(text):
        if depth_at(text, m.start()) != 0:
            continue
        name = m.group("name")
        module = modules.setdefault(name, Module(name))
        if m.group("end") == ";":
            if re.search(r"#\s*\[\s*path\b", m.group("attrs")):
                raise Unsupported(f"{root}: `#[path]` on `mod {name}`")
            child = module_files(root, name, True)
            collect(child, root, read(child), module)
        else:
            end = matching_brace(text, m.end() - 1)
            # The inline body, padded so offsets are the root file's.
            body = " " * m.end() + text[m.end() : end]
            module.parts.append((root, body))
    return modules


def group_heads(group: str) -> list[str]:
    """The first path segment of each element of a `{a, b::c, d as e}` group."""
    heads, depth, current = [], 0, ""
    for ch in group:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            heads.append(current)
            current = ""
        else:
            current += ch
    heads.append(current)
    names = []
    for element in heads:
        m = re.match(r"\s*(" + IDENT + ")", element)
        if m:
            names.append(m.group(1))
    return names


CRATE_PATH = re.compile(r"(?<![A-Za-z0-9_$])crate\s*::\s*")


def crate_paths(text: str) -> list[tuple[int, str]]:
    """(offset, first segment) of every `crate::...` path in `text`."""
    found = []
    for m in CRATE_PATH.finditer(text):
        rest = text[m.end() :]
        if rest.startswith("{"):
            close = matching_brace(text, m.end())
            for head in group_heads(text[m.end() + 1 : close - 1]):
                found.append((m.start(), head))
        else:
            ident = re.match(IDENT, rest)
            if ident:
                found.append((m.start(), ident.group(0)))
    return found


PUB_USE = re.compile(r"pub(?:\s*\([^)]*\))?\s+use\s+([^;]+);")
PUB_ITEM = re.compile(
    r"pub(?:\s*\([^)]*\))?\s+(?:async\s+|const\s+|unsafe\s+)*"
    r"(?:fn|struct|enum|trait|type|const|static|mod|union)\s+(" + IDENT + ")"
)
MACRO_EXPORT = re.compile(r"#\s*\[\s*macro_export\s*\]\s*macro_rules\s*!\s*(" + IDENT + ")")


def exported_names(root: Path, modules: dict[str, Module]) -> tuple[dict[str, str], set[str]]:
    """Names the root re-exports or the crate exports at its root (macros),
    each with the top-level module it comes from; and the names it
    re-exports from other crates, which are no module's."""
    text = read(root)
    names: dict[str, str] = {}
    external: set[str] = set()
    for m in PUB_USE.finditer(text):
        if depth_at(text, m.start()) != 0:
            continue
        tree = m.group(1).strip()
        tree = re.sub(r"^(?:crate|self)\s*::\s*", "", tree)
        head = re.match(IDENT, tree)
        if not head or head.group(0) not in modules:
            # Another crate's items, re-exported: no edge, and no note.
            external.update(re.findall(r"(" + IDENT + r")\s*(?=[,}]|$)", tree))
            external.update(re.findall(r"\bas\s+(" + IDENT + ")", tree))
            continue
        source = head.group(0)
        rest = tree[head.end() :]
        if re.fullmatch(r"\s*::\s*\*\s*", rest):
            for _, part in modules[source].parts:
                for item in PUB_ITEM.finditer(part):
                    names.setdefault(item.group(1), source)
            continue
        for leaf in re.findall(r"(" + IDENT + r")\s*(?=[,}]|$)", tree):
            names.setdefault(leaf, source)
        for alias in re.findall(r"\bas\s+(" + IDENT + ")", tree):
            names[alias] = source
    for name, module in modules.items():
        for _, part in module.parts:
            for m in MACRO_EXPORT.finditer(part):
                names.setdefault(m.group(1), name)
    return names, external


@dataclass
class Edge:
    path: Path
    line: int
    text: str


def graph(root: Path) -> tuple[dict[str, dict[str, Edge]], list[str]]:
    modules = root_modules(root)
    exported, external = exported_names(root, modules)
    root_text = read(root)
    root_items = {m.group(1) for m in PUB_ITEM.finditer(root_text)} | {
        m.group(1) for m in re.finditer(r"\b(?:fn|struct|enum|trait|type|const|static)\s+(" + IDENT + ")", root_text)
    }
    edges: dict[str, dict[str, Edge]] = {name: {} for name in modules}
    unresolved: list[str] = []
    for name, module in modules.items():
        for path, text in module.parts:
            source = path.read_text(encoding="utf-8")
            for offset, head in crate_paths(text):
                target = head if head in modules else exported.get(head)
                if target is None:
                    if head not in root_items and head not in external and head != "self":
                        line = text.count("\n", 0, offset) + 1
                        unresolved.append(f"{path}:{line}: crate::{head}")
                    continue
                if target == name or target in edges[name]:
                    continue
                line = text.count("\n", 0, offset) + 1
                edges[name][target] = Edge(path, line, source.splitlines()[line - 1].strip())
    return edges, unresolved


def cycles(edges: dict[str, dict[str, Edge]]) -> list[tuple[list[str], list[str]]]:
    """Each strongly connected component of more than one module, with one
    cycle through it (Tarjan's algorithm, then a path back to the start)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(edges):
        if v not in index:
            connect(v)

    found = []
    for component in components:
        members = set(component)
        start = component[0]
        # Breadth-first from start back to start, inside the component.
        paths = {w: [start, w] for w in edges[start] if w in members}
        queue = list(paths)
        while start not in paths:
            v = queue.pop(0)
            for w in sorted(edges[v]):
                if w in members and w not in paths:
                    paths[w] = paths[v] + [w]
                    queue.append(w)
        found.append((component, paths[start]))
    return found


def crate_roots(crate: Path) -> list[Path]:
    src = crate / "src"
    roots = [p for p in (src / "lib.rs", src / "main.rs") if p.is_file()]
    roots += sorted((src / "bin").glob("*.rs"))
    roots += sorted((src / "bin").glob("*/main.rs"))
    return roots


def main() -> int:
    args = sys.argv[1:]
    show_graph = "--graph" in args
    args = [a for a in args if a != "--graph"]
    workspace = Path(args[0]) if args else Path(__file__).resolve().parent.parent
    failures = 0
    checked = 0
    for manifest in sorted(workspace.glob("crates/*/Cargo.toml")):
        for root in crate_roots(manifest.parent):
            name = root.relative_to(workspace).as_posix()
            try:
                edges, unresolved = graph(root)
            except Unsupported as e:
                print(f"{name}: cannot check: {e}", file=sys.stderr)
                return 2
            checked += 1
            if show_graph:
                print(f"{name}:")
                for a in sorted(edges):
                    print(f"    {a} -> {', '.join(sorted(edges[a])) or '(nothing)'}")
            for note in unresolved:
                print(f"{name}: note: no top-level module found for {note}", file=sys.stderr)
            for component, cycle in cycles(edges):
                failures += 1
                print(f"{name}: module cycle among {', '.join(component)}: {' -> '.join(cycle)}")
                for a, b in zip(cycle, cycle[1:]):
                    edge = edges[a][b]
                    print(f"    {a} -> {b}: {edge.path.relative_to(workspace)}:{edge.line}: {edge.text}")
    if failures:
        print(f"{failures} module cycle(s); see ARCHITECTURE.md for the order modules keep.")
        return 1
    print(f"no module cycle in {checked} crate roots")
    return 0


if __name__ == "__main__":
    sys.exit(main())
