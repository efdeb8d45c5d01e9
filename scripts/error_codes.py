#!/usr/bin/env python3
"""Error codes of transaxx: one code per condition, each thrown at one site, all documented.

Scans every .cpp/.hpp/.cu under the part folders (not tests/ or bench/) for error-code string
literals ("PART-NNN" outside comments): each one is a throw site, whether it is written as
axx::Error("PART-NNN", ...) or handed to a helper that throws it (run_tool_checked("VLT-002", ...)).
apps/hints.cpp only refers to codes (the program's hints) and is checked separately.

  scripts/error_codes.py --check   fail listing: codes thrown at more than one site, codes whose
                                   prefix does not belong to the folder they are thrown in (the
                                   table below, docs/architecture.md), codes in docs/errors.md thrown
                                   nowhere, thrown codes missing from docs/errors.md, hints for
                                   codes thrown nowhere, messages outside apps/ that name a
                                   command-line flag (`--name`; only the program knows its flags)
  scripts/error_codes.py --write   regenerate docs/errors.md: one table per part
  --prefix IO,SRC,...              only these prefixes
  --parts common,search,...        only throw sites in these folders (one branch's parts at a time)

Python 3 standard library only.
"""
import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join("docs", "errors.md")
PART_DIRS = ["common", "mpi", "multipliers_rtl", "eda", "characterize", "hwgen", "search", "emulation", "model_search",
             "flows", "apps"]
EXTENSIONS = (".cpp", ".hpp", ".cu")
# Files whose code literals are references to codes, not throw sites.
REFERENCE_FILES = {"apps/hints.cpp"}

# prefix → the files it may be thrown in (a regular expression on the path from the repository
# root) and the part it is documented under. Keep in step with the parts in docs/architecture.md.
PREFIXES = {
    "IO": r"common/(?!library_folder\.)",
    "JSON": r"common/(?!library_folder\.)",
    "NPY": r"common/(?!library_folder\.)",
    "PROC": r"common/(?!library_folder\.)",
    "IMG": r"common/(?!library_folder\.)",
    "LIB": r"common/library_folder\.",
    "CAT": r"multipliers_rtl/",
    "YSY": r"eda/yosys\.",
    "VLT": r"eda/verilator\.",
    "LTY": r"eda/liberty",
    "NET": r"eda/gate_netlist\.",
    "CHR": r"characterize/",
    "STIM": r"characterize/",
    "HWG": r"hwgen/(?!verify/)",
    "HWV": r"hwgen/verify/",
    "SRC": r"search/",
    "MSR": r"model_search/",
    "EMU": r"emulation/([^/]+|cuda/[^/]+)$",
    "DATA": r"emulation/data/",
    "VIT": r"emulation/models/",
    "SFT": r"emulation/models/",
    "IMP": r"emulation/import/",
    "TRN": r"emulation/train/",
    "FLOW": r"flows/",
    "CLI": r"apps/",
    "MPI": r"mpi/",
}

# The parts of docs/errors.md, in order: title, prefixes.
PARTS = [
    ("common/ (files, JSON, .npy, subprocesses, images)", ["IO", "JSON", "NPY", "PROC", "IMG"]),
    ("common/library_folder (multiplier library folders and records)", ["LIB"]),
    ("multipliers_rtl/ (catalog, reference models)", ["CAT"]),
    ("eda/ (Yosys, Verilator, Liberty, gate netlists)", ["YSY", "VLT", "LTY", "NET"]),
    ("mpi/ (ranks, work lists across MPI processes)", ["MPI"]),
    ("characterize/ (one multiplier, stimulus, library build)", ["CHR", "STIM"]),
    ("hwgen/ (systolic-array generator)", ["HWG"]),
    ("hwgen/verify/ (lint, simulation, synthesis, power of the generated design)", ["HWV"]),
    ("search/ (search algorithms)", ["SRC"]),
    ("model_search/ (the `search` command on models)", ["MSR"]),
    ("emulation/ (engine, data, models, import, training)", ["EMU", "DATA", "VIT", "SFT", "IMP", "TRN"]),
    ("flows/ (the co-design flow)", ["FLOW"]),
    ("apps/ (the transaxx program)", ["CLI"]),
]

CODE = re.compile(r"^([A-Z]+)-(\d{3})$")
TOKEN = re.compile(r'//[^\n]*|/\*.*?\*/|R"([^(\s]*)\((?:.|\n)*?\)\1"|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                   re.S)


class Site:
    def __init__(self, code, path, line, meaning, flags=()):
        self.code, self.path, self.line, self.meaning = code, path, line, meaning
        self.flags = list(flags)  # command-line flags named in the message's literals


FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
STRING = re.compile(r'"(?:\\.|[^"\\\n])*"')


def flags_in_message(text, end):
    """Flags (`--name`) in the string literals of the statement that throws the code starting at
    `end`: up to the `;` (or the call's closing parenthesis), skipping brace-enclosed lists (argument
    vectors of tools, which name the tools' own flags)."""
    depth = braces = 0
    i = end
    found = []
    while i < len(text):
        c = text[i]
        if c == '"':
            m = STRING.match(text, i)
            if not m:
                break
            if braces == 0:
                found += FLAG.findall(m.group(0))
            i = m.end()
            continue
        if c == "/" and text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                break
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                break
        elif c == "{":
            braces += 1
        elif c == "}":
            braces -= 1
            if braces < 0:
                break
        elif c == ";":
            break
        i += 1
    return found


def literal_text(tok):
    """The text of a "..." token, escapes resolved loosely (for display)."""
    body = tok[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": " ", "t": " "}.get(m.group(1), m.group(1)), body)


def tokens(text):
    """(kind, token, offset) for comments and literals, in order; code between is not returned."""
    for m in TOKEN.finditer(text):
        t = m.group(0)
        kind = "comment" if t.startswith("//") or t.startswith("/*") else "string" if t.startswith('"') else "other"
        yield kind, t, m.start()


def meaning_after(text, start, end, comment_above):
    """The message's leading literal text: the first run of adjacent string literals after the code
    literal, inside the same call; else the comment above the site."""
    depth = 0
    i = end
    parts = []
    while i < len(text):
        c = text[i]
        if c == '"':
            m = re.compile(r'"(?:\\.|[^"\\\n])*"').match(text, i)
            parts.append(literal_text(m.group(0)))
            i = m.end()
            j = i
            while j < len(text) and text[j] in " \t\n":
                j += 1
            if j < len(text) and text[j] == '"':
                i = j
                continue
            if j < len(text) and text[j] == "+":
                parts.append(" {}")  # more text follows at run time
            break
        if c == "/" and text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                break
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                break
        elif c == ";" or c == "}":
            break
        i += 1
    msg = re.sub(r"\{[^{}]*\}", "…", "".join(parts))
    msg = re.sub(r"\s+", " ", msg).strip()
    # A message that is mostly filled in at run time says little: the helper's comment says more.
    if len(re.findall(r"[A-Za-z]{3,}", msg)) < 3 and comment_above:
        msg = comment_above + (f" ({msg})" if msg else "")
    if len(msg) > 140:
        msg = msg[:139].rstrip() + "…"
    return msg


def comment_before(text, offset):
    """The // comment block above the site's line (or above the one or two lines of the helper's
    signature that open it), joined, without the code it names; "" if none."""
    line_start = text.rfind("\n", 0, offset) + 1
    lines = text[:line_start].split("\n")[:-1]
    skipped = 0
    while lines and not lines[-1].strip().startswith("//") and skipped < 2 and \
            lines[-1].rstrip().endswith(("{", "(", ",")):
        lines.pop()
        skipped += 1
    block = []
    for ln in reversed(lines[-4:]):
        s = ln.strip()
        if not s.startswith("//"):
            break
        block.insert(0, s.lstrip("/").strip())
    text = " ".join(block)
    return re.sub(r"\s*\([A-Z]+-\d{3}\)", "", text).strip()


def scan(root):
    """(sites, references): throw sites and hint references of every code literal."""
    sites, refs = [], []
    for part in PART_DIRS:
        base = os.path.join(root, part)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in sorted(filenames):
                if not name.endswith(EXTENSIONS):
                    continue
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                with open(full, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                for kind, tok, off in tokens(text):
                    if kind != "string" or not CODE.match(tok[1:-1]):
                        continue
                    code = tok[1:-1]
                    line = text.count("\n", 0, off) + 1
                    if rel in REFERENCE_FILES:
                        refs.append(Site(code, rel, line, ""))
                        continue
                    meaning = meaning_after(text, off, off + len(tok), comment_before(text, off))
                    sites.append(Site(code, rel, line, meaning, flags_in_message(text, off + len(tok))))
    return sites, refs


def documented(root):
    """Codes named in the first cell of docs/errors.md's table rows."""
    path = os.path.join(root, DOC)
    if not os.path.exists(path):
        return set()
    codes = set()
    with open(path, encoding="utf-8") as f:
        for ln in f:
            m = re.match(r"\|\s*`?([A-Z]+-\d{3})`?\s*\|", ln)
            if m:
                codes.add(m.group(1))
    return codes


def cell(text):
    """Text for a Markdown table cell: pipes escaped, < > as entities (not HTML tags)."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def code_key(code):
    p, n = code.split("-")
    return (p, int(n))


def write_doc(root, sites):
    by_code = {}
    for s in sites:
        by_code.setdefault(s.code, []).append(s)
    out = ["# Error codes", "",
           "Every error transaxx reports carries a code `PART-NNN` (`transaxx: error CHR-010: ...`). Each code",
           "names one condition and is raised at one place in the sources; the program adds a `hint:` line",
           "for codes a command-line option fixes. This file is generated from the sources by",
           "`python3 scripts/error_codes.py --write`; `--check` (the ctest `test_error_codes`) fails when a",
           "code is reused, thrown outside its part, or missing here.", ""]
    seen = set()
    for title, prefixes in PARTS:
        codes = sorted((c for c in by_code if c.split("-")[0] in prefixes), key=code_key)
        seen.update(codes)
        if not codes:
            continue
        out += ["## " + title, "", "| code | file | what it means |", "|---|---|---|"]
        for c in codes:
            s = by_code[c][0]
            files = ", ".join(sorted({x.path for x in by_code[c]}))
            out.append(f"| `{c}` | {files} | {cell(s.meaning)} |")
        out.append("")
    rest = sorted((c for c in by_code if c not in seen), key=code_key)
    if rest:
        out += ["## Other prefixes", "", "| code | file | what it means |", "|---|---|---|"]
        for c in rest:
            s = by_code[c][0]
            out.append(f"| `{c}` | {s.path} | {cell(s.meaning)} |")
        out.append("")
    path = os.path.join(root, DOC)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(out))
    os.replace(tmp, path)


def check(root, sites, refs, keep, keep_site):
    problems = []
    by_code = {}
    for s in sites:
        if keep_site(s):
            by_code.setdefault(s.code, []).append(s)
    for code in sorted(by_code, key=code_key):
        where = by_code[code]
        if len(where) > 1:
            problems.append(f"{code} is thrown at {len(where)} sites: " +
                            ", ".join(f"{s.path}:{s.line}" for s in where) +
                            " (one code per condition: route one condition through one helper, give others new numbers)")
        prefix = code.split("-")[0]
        pattern = PREFIXES.get(prefix)
        for s in where:
            if pattern is None:
                problems.append(f"{code} at {s.path}:{s.line}: prefix {prefix} is not in the table of "
                                "scripts/error_codes.py (add it to PREFIXES, owned by one part)")
            elif not re.match(pattern, s.path):
                owners = [p for p, rx in PREFIXES.items() if re.match(rx, s.path)]
                problems.append(f"{code} at {s.path}:{s.line}: prefix {prefix} does not belong to that file; "
                                f"its prefixes are {', '.join(owners) or 'none'}")
        for s in where:
            if s.flags and not s.path.startswith("apps/"):
                problems.append(f"{code} at {s.path}:{s.line} names the command-line flag(s) {', '.join(s.flags)}: "
                                "only apps/ knows flags; say what to do in words and add a hint in apps/hints.cpp")
    docs = documented(root)
    thrown = {s.code for s in sites}
    for code in sorted((c for c in docs if keep(c) and c not in thrown), key=code_key):
        problems.append(f"{code} is in {DOC} but thrown nowhere (run scripts/error_codes.py --write)")
    for code in sorted(set(by_code) - docs, key=code_key):
        s = by_code[code][0]
        problems.append(f"{code} ({s.path}:{s.line}) is missing from {DOC} (run scripts/error_codes.py --write)")
    for r in refs:
        if keep(r.code) and r.code not in thrown:
            problems.append(f"{r.code} at {r.path}:{r.line} has a hint but is thrown nowhere")
    return problems


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="fail listing reused, misplaced or undocumented codes")
    mode.add_argument("--write", action="store_true", help="regenerate docs/errors.md")
    mode.add_argument("--list", action="store_true", help="print code, site and meaning of every throw site")
    ap.add_argument("--prefix", default="", help="comma-separated prefixes to consider (default: all)")
    ap.add_argument("--parts", default="", help="comma-separated part folders whose throw sites to consider "
                    "(default: all); documented codes are then those whose prefix belongs to them")
    ap.add_argument("--root", default=ROOT, help="repository root (default: this script's)")
    a = ap.parse_args(argv)
    wanted = {p.strip() for p in a.prefix.split(",") if p.strip()}
    parts = tuple(p.strip().rstrip("/") + "/" for p in a.parts.split(",") if p.strip())

    def keep(code):
        prefix = code.split("-")[0]
        if wanted and prefix not in wanted:
            return False
        return not parts or any(PREFIXES.get(prefix, "^$").startswith(p) for p in parts)

    def keep_site(site):
        if wanted and site.code.split("-")[0] not in wanted:
            return False
        return not parts or site.path.startswith(parts)

    sites, refs = scan(a.root)
    if a.list:
        for s in sorted(sites, key=lambda s: (code_key(s.code), s.path, s.line)):
            if keep_site(s):
                print(f"{s.code}\t{s.path}:{s.line}\t{s.meaning}")
        return 0
    if a.write:
        if wanted or parts:
            print("--write regenerates the whole file; drop --prefix and --parts", file=sys.stderr)
            return 2
        write_doc(a.root, sites)
        print(f"wrote {DOC}: {len({s.code for s in sites})} codes")
        return 0
    problems = check(a.root, sites, refs, keep, keep_site)
    for p in problems:
        print("error-codes: " + p)
    n = len({s.code for s in sites if keep_site(s)})
    if problems:
        print(f"error-codes: {len(problems)} problem(s) in {n} codes", file=sys.stderr)
        return 1
    print(f"error-codes: {n} codes, each thrown at one site and documented in {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
