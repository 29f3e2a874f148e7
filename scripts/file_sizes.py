#!/usr/bin/env python3
"""Small rooms: fails when a file of src/ holds more than LIMIT lines of non-test code. A file's
count stops at its `#[cfg(test)]` test module (`#[cfg(test)] mod tests {`); files that are only
test modules (`#[cfg(test)] mod x;`, with or without `#[path = "..."]`) are not counted. Files on
the allow-list below may be over the limit for now: each names who owns it.
Usage: scripts/file_sizes.py [SRC_DIR] [--list]  (--list: print every file's count)"""
import os
import re
import sys

LIMIT = 600

# Over the limit, owned by others while issue 13 is merged: the lead removes each entry once its
# owner has split the file.
ALLOWED = {
}

args = [a for a in sys.argv[1:] if not a.startswith("--")]
src = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "src")
src = os.path.normpath(src)
show_all = "--list" in sys.argv

CFG_TEST = re.compile(r"^\s*#\[cfg\(test\)\]")
PATH_ATTR = re.compile(r'^\s*#\[path\s*=\s*"([^"]+)"\]')
MOD_DECL = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;")
MOD_BLOCK = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{")


def module_dir(path):
    """Where the child modules of `path` live."""
    base = os.path.basename(path)
    if base in ("mod.rs", "lib.rs", "main.rs"):
        return os.path.dirname(path)
    return os.path.join(os.path.dirname(path), base[:-3])


def scan(path):
    """(lines of non-test code, files this one includes as test modules)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    test_files = []
    count = len(lines)
    i = 0
    while i < len(lines):
        if CFG_TEST.match(lines[i]):
            # The attributes after #[cfg(test)], then the item they are on.
            j = i + 1
            custom_path = None
            while j < len(lines) and lines[j].strip().startswith("#["):
                m = PATH_ATTR.match(lines[j])
                if m:
                    custom_path = m.group(1)
                j += 1
            if j < len(lines):
                decl = MOD_DECL.match(lines[j])
                if decl:
                    if custom_path:
                        test_files.append(os.path.join(os.path.dirname(path), custom_path))
                    else:
                        d = module_dir(path)
                        test_files.append(os.path.join(d, decl.group(1) + ".rs"))
                        test_files.append(os.path.join(d, decl.group(1), "mod.rs"))
                elif MOD_BLOCK.match(lines[j]):
                    count = min(count, i)
                    break
        i += 1
    return count, test_files


counts = {}
tests = set()
for root, _, names in os.walk(src):
    for n in names:
        if n.endswith(".rs"):
            p = os.path.join(root, n)
            count, test_files = scan(p)
            counts[p] = count
            tests.update(os.path.normpath(t) for t in test_files)

over = []
for p in sorted(counts):
    rel = os.path.relpath(p, src).replace(os.sep, "/")
    if os.path.normpath(p) in tests:
        if show_all:
            print(f"{'test':>5}  {rel}")
        continue
    if show_all:
        print(f"{counts[p]:>5}  {rel}")
    if counts[p] > LIMIT:
        over.append((rel, counts[p]))

failed = False
for rel, n in over:
    if rel in ALLOWED:
        print(f"allowed for now: {rel}: {n} lines of non-test code (owner: {ALLOWED[rel]})")
    else:
        print(f"too large: {rel}: {n} lines of non-test code (limit {LIMIT}); split it by responsibility")
        failed = True
for rel in sorted(set(ALLOWED) - {r for r, _ in over}):
    print(f"allow-list entry no longer needed: {rel} (remove it)")
print(f"{len(counts) - len(tests & set(map(os.path.normpath, counts)))} files, {len(over)} over {LIMIT} lines")
sys.exit(1 if failed else 0)
