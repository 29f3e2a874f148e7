#!/usr/bin/env python3
"""Finds import cycles between the files of src/: every `crate::a::b` and `super::x` path named in a
file (in `use` lines and in code) is an edge to the file that defines that module. Test modules
(after `#[cfg(test)]`) are left out: tests may reach anywhere. Prints each cycle and exits 1 if any.
Usage: scripts/import_cycles.py [SRC_DIR]"""
import os
import re
import sys

src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
src = os.path.normpath(src)

def module_of(path):
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return tuple(rel)

files = {}
for root, _, names in os.walk(src):
    for n in names:
        if n.endswith(".rs"):
            p = os.path.join(root, n)
            files[module_of(p)] = p

def resolve(parts):
    """The longest module prefix of `parts` that is a file."""
    for i in range(len(parts), 0, -1):
        if tuple(parts[:i]) in files:
            return tuple(parts[:i])
    return None

PATH = re.compile(r"\b(crate|super)((?:::\w+)+)")
GROUP = re.compile(r"\buse\s+(crate|super)((?:::\w+)*)::\{([^;]*)\}", re.S)
edges = {m: set() for m in files}
for mod, path in files.items():
    text = open(path, encoding="utf-8").read()
    text = text.split("#[cfg(test)]")[0]
    text = re.sub(r"//[^\n]*", "", text)
    found = []
    for head, rest in PATH.findall(text):
        found.append((head, [p for p in rest.split("::") if p]))
    for head, rest, inner in GROUP.findall(text):
        base = [p for p in rest.split("::") if p]
        for item in re.split(r"[,\s]+", re.sub(r"\{[^}]*\}", "", inner)):
            item = item.split("::")[0].strip()
            if item and item not in ("self",) and re.match(r"^\w+$", item):
                found.append((head, base + [item]))
    is_dir_module = os.path.basename(path) in ("mod.rs", "lib.rs", "main.rs")
    for head, parts in found:
        if head == "crate":
            target = list(parts)
        else:
            here = list(mod) if is_dir_module else list(mod[:-1])
            while parts and parts[0] == "super":
                here = here[:-1]
                parts = parts[1:]
            target = here + parts
        t = resolve(target)
        # A module naming its own children or itself is not an edge; a child naming its parent
        # module file is (mod.rs holds code too).
        if t is not None and t != mod and not (len(t) > len(mod) and t[: len(mod)] == mod):
            edges[mod].add(t)

# Tarjan's strongly connected components.
index, low, stack, on, sccs = {}, {}, [], set(), []
counter = [0]
def visit(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in edges[v]:
        if w not in index:
            visit(w)
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
            sccs.append(comp)
sys.setrecursionlimit(10000)
for v in list(files):
    if v not in index:
        visit(v)
name = lambda m: "::".join(m) or "crate"
for comp in sccs:
    print("cycle:", ", ".join(sorted(name(m) for m in comp)))
    for a in sorted(comp):
        for b in sorted(edges[a] & set(comp)):
            print(f"  {name(a)} -> {name(b)}")
print(f"{len(files)} files, {len(sccs)} import cycles")
sys.exit(1 if sccs else 0)
