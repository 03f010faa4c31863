#!/usr/bin/env python3
"""Finds dependency cycles between the modules of each Rust crate in the workspace.

A module is a file (`foo.rs` or `foo/mod.rs`). Module A depends on module B when A's code
(outside its `#[cfg(test)]` section) names a path into B: `use crate::b::…`, `super::…`,
`crate::b::f()` in an expression, or a child module by its bare name. Re-exports are followed
(`crate::Category` in the shared crate means the `category` module). Declaring a child module
(`pub mod x;`) is ownership, not a dependency. Prints each cycle and exits 1 if there is one;
`--graph` prints every edge.

Run by scripts/test.sh; `python3 scripts/lib/module_cycles.py [--graph] [CRATE_SRC ...]`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CRATES = ["crates/clinicdocs-core/src", "crates/clinicdocs-server/src", "src-tauri/src", "bench/src"]

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
PATH_RE = re.compile(rf"\b(crate|super|self)((?:\s*::\s*{IDENT})+)")
USE_RE = re.compile(r"\buse\s+([^;]+);", re.S)
PUB_USE_RE = re.compile(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", re.S)


# One pass, left to right, so a `//` inside a string ("postgres://…") is not taken for a
# comment, nor a quote inside a comment for a string.
TOKENS_RE = re.compile(r"""//[^\n]*|/\*.*?\*/|r(#*)".*?"\1|b?"(?:\\.|[^"\\])*"|b?'(?:\\.|[^'\\])'""", re.S)


def strip_comments_and_strings(src: str) -> str:
    return TOKENS_RE.sub(lambda m: '""' if m.group(0).endswith(("\"", "'")) and not m.group(0).startswith("/") else " ", src)


def without_tests(src: str) -> str:
    m = re.search(r"#\[cfg\((?:all\()?test\b[^\]]*\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{", src)
    return src[: m.start()] if m else src


def modules(src_dir: Path) -> dict[tuple[str, ...], Path]:
    """Module path → file, for every module file under a crate's `src`."""
    out: dict[tuple[str, ...], Path] = {}
    for f in sorted(src_dir.rglob("*.rs")):
        rel = f.relative_to(src_dir)
        parts = list(rel.parts)
        if parts[0] == "bin" or parts[0] == "examples":
            continue
        if parts == ["lib.rs"] or parts == ["main.rs"]:
            if parts == ["main.rs"] and (src_dir / "lib.rs").exists():
                continue
            out[()] = f
            continue
        parts[-1] = parts[-1][:-3]
        if parts[-1] == "mod":
            parts = parts[:-1]
        out[tuple(parts)] = f
    return out


def expand_use_tree(tree: str) -> list[list[str]]:
    """`a::{b, c::{d, e}}` → [[a, b], [a, c, d], [a, c, e]] (names only, `as` dropped)."""
    tree = re.sub(r"\s+", "", tree)

    def split_top(s: str) -> list[str]:
        out, depth, cur = [], 0, ""
        for ch in s:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                out.append(cur)
                cur = ""
            else:
                cur += ch
        if cur:
            out.append(cur)
        return out

    def walk(s: str) -> list[list[str]]:
        s = re.sub(r"as\w+$", "", s) if "::" not in s else s
        i = s.find("{")
        if i == -1:
            name = re.sub(r"as[A-Za-z_]\w*$", "", s) if re.search(r"[a-z0-9_]as[A-Za-z_]", s) else s
            return [[p for p in name.split("::") if p]]
        prefix = [p for p in s[:i].split("::") if p]
        inner = s[i + 1 : s.rfind("}")]
        res = []
        for part in split_top(inner):
            for tail in walk(part):
                res.append(prefix + tail)
        return res or [prefix]

    return walk(tree)


def resolve(base: tuple[str, ...], segs: list[str], mods: dict) -> tuple[tuple[str, ...] | None, int]:
    """The deepest known module a path from `base` enters, and the index of the segment after it."""
    path = list(base)
    found, after = None, 0
    for i, s in enumerate(segs):
        if s == "super":
            path = path[:-1]
        elif s != "self":
            path.append(s)
            if tuple(path) not in mods:
                break
        found, after = tuple(path), i + 1
    return found, after


def graph(src_dir: Path) -> tuple[dict, dict]:
    mods = modules(src_dir)
    code = {m: without_tests(strip_comments_and_strings(f.read_text())) for m, f in mods.items()}
    # Re-exports: (module, name) → module the name comes from.
    reexports: dict[tuple[tuple[str, ...], str], tuple[str, ...]] = {}
    for m, src in code.items():
        for tree in PUB_USE_RE.findall(src):
            for segs in expand_use_tree(tree):
                if not segs:
                    continue
                first = segs[0]
                base = () if first == "crate" else m
                rest = segs[1:] if first in ("crate", "self") else segs
                target, _ = resolve(base, rest[:-1], mods) if rest[:-1] else ((m if first != "crate" else ()), 0)
                if target is not None and rest:
                    reexports[(m, rest[-1])] = target

    def land(base: tuple[str, ...], segs: list[str]) -> tuple[str, ...] | None:
        t, after = resolve(base, segs, mods)
        if t is not None and after < len(segs):
            # A name the module re-exports counts as the module it comes from.
            return reexports.get((t, segs[after]), t)
        return t

    edges: dict[tuple[str, ...], set] = {m: set() for m in mods}
    for m, src in code.items():
        children = {k[-1] for k in mods if len(k) == len(m) + 1 and k[: len(m)] == m}
        targets = set()
        for tree in USE_RE.findall(src):
            for segs in expand_use_tree(tree):
                if not segs:
                    continue
                if segs[0] == "crate":
                    t = land((), segs[1:])
                elif segs[0] in ("super", "self"):
                    t = land(m, segs)
                elif segs[0] in children:
                    t = land(m, segs)
                else:
                    t = None
                if t is not None:
                    targets.add(t)
        for head, tail in PATH_RE.findall(src):
            segs = [s.strip() for s in tail.split("::") if s.strip()]
            t = land((), segs) if head == "crate" else land(m, [head] + segs)
            if t is not None:
                targets.add(t)
        for child in children:
            if re.search(rf"(?<![:\w]){child}\s*::", src):
                targets.add(m + (child,))
        for t in targets:
            if t != m:
                edges[m].add(t)
    return mods, edges


def cycles(edges: dict) -> list[list]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            strong(v)
    return out


def name(m: tuple[str, ...]) -> str:
    return "::".join(m) or "(crate root)"


def main(argv: list[str]) -> int:
    show = "--graph" in argv
    dirs = [a for a in argv if not a.startswith("--")] or CRATES
    bad = 0
    for d in dirs:
        src = (ROOT / d) if not Path(d).is_absolute() else Path(d)
        if not src.exists():
            continue
        mods, edges = graph(src)
        if show:
            for m in sorted(edges):
                for t in sorted(edges[m]):
                    print(f"{d}: {name(m)} -> {name(t)}")
        for comp in cycles(edges):
            bad += 1
            inner = {m: sorted(t for t in edges[m] if t in comp) for m in comp}
            desc = "; ".join(f"{name(m)} -> {', '.join(name(t) for t in ts)}" for m, ts in inner.items())
            print(f"module cycle in {d}: {desc}")
    if bad == 0:
        print(f"no module cycles ({len(dirs)} crates)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
