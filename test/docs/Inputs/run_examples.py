#!/usr/bin/env python3
"""Runs the examples of a Markdown file of Loom's docs.

Every fenced block must follow an HTML comment saying what it is:

  <!-- example: run -->          a shell session: each `$ COMMAND` runs in the
                                 document's working directory, and the lines
                                 after it, up to the next `$ `, are its output
                                 (stdout and stderr), exactly; a line `...`
                                 stands for any number of lines, and a
                                 line ending in `...` for any line that
                                 starts the same
  <!-- example: file NAME -->    the block is written to NAME in the working
                                 directory, for the sessions after it
  <!-- example: model -->        a whole model: loomc must compile it
  <!-- example: excerpt PATH --> the block's lines (comments and spacing
                                 aside) appear in PATH, in order; a .loom PATH
                                 must compile
  <!-- example: paths -->        a layout: the first column of each line
                                 (up to two spaces) holds paths of the
                                 repository, separated by ", "
  <!-- not an example: WHY -->   not run, for the reason given

The working directory starts with the repository's models/, data/, bench/
and scripts/ linked in, so that sessions read as they would from the
repository's root; loomc and the other tools are on PATH.

usage: run_examples.py DOC.md REPO WORKDIR
"""
import os
import re
import shutil
import subprocess
import sys


def fail(doc, line, message):
    print(f"{doc}:{line}: {message}")
    return 1


def blocks(text):
    """Yields (line of the fence, annotation or None, lines of the block)."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].startswith("```"):
            start = i
            j = start - 1
            while j >= 0 and lines[j].strip() == "":
                j -= 1
            comment = lines[j].strip() if j >= 0 else ""
            note = comment if comment.startswith("<!--") and comment.endswith("-->") else None
            end = start + 1
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            yield start + 1, note, lines[start + 1:end]
            i = end + 1
        else:
            i += 1


def loom_lines(lines):
    """A model's statements, without comments and with single spaces."""
    result = []
    for line in lines:
        code = line.split("#", 1)[0].strip()
        if code:
            result.append(" ".join(code.split()))
    return result


def matches(expected, actual):
    """Whether `actual` lines match `expected`, where `...` is any lines."""
    if not expected:
        return not actual
    want = expected[0].rstrip()
    if want.strip() == "...":
        return any(matches(expected[1:], actual[k:]) for k in range(len(actual) + 1))
    if not actual:
        return False
    have = actual[0].rstrip()
    # A line cut short with "..." matches any line that starts the same.
    same = have.startswith(want[:-3].rstrip()) if want.endswith("...") else have == want
    return same and matches(expected[1:], actual[1:])


def run_session(doc, line, lines, workdir):
    commands = []  # (line, command, expected output)
    for offset, text in enumerate(lines):
        if text.startswith("$ "):
            commands.append((line + 1 + offset, text[2:], []))
        elif commands:
            commands[-1][2].append(text)
        else:
            return fail(doc, line, "a session must start with a `$ ` command")
    errors = 0
    for at, command, expected in commands:
        done = subprocess.run(["bash", "-c", command], cwd=workdir,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
        actual = done.stdout.rstrip("\n").split("\n") if done.stdout else []
        while expected and expected[-1].strip() == "":
            expected = expected[:-1]
        if not matches(expected, actual):
            errors += fail(doc, at, f"`{command}` printed something else:\n" +
                           "\n".join("  | " + a for a in actual))
    return errors


def compile_model(doc, line, path, workdir):
    done = subprocess.run(["loomc", path, "--emit=loom"], cwd=workdir,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    if done.returncode != 0:
        return fail(doc, line, f"{path} does not compile:\n{done.stderr}")
    return 0


def main():
    doc, repo, workdir = sys.argv[1], sys.argv[2], sys.argv[3]
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    for name in ("models", "data", "bench", "scripts"):
        os.symlink(os.path.join(repo, name), os.path.join(workdir, name))
    text = open(os.path.join(repo, doc), encoding="utf-8").read()
    errors = 0
    counts = {}
    for line, note, lines in blocks(text):
        if note is None:
            errors += fail(doc, line, "a fenced block without <!-- example: ... --> "
                                      "or <!-- not an example: ... -->")
            continue
        match = re.match(r"<!--\s*(example|not an example):\s*(.*?)\s*-->$", note)
        if not match:
            errors += fail(doc, line, f"unknown annotation {note}")
            continue
        if match.group(1) == "not an example":
            counts["not run"] = counts.get("not run", 0) + 1
            continue
        kind, _, argument = match.group(2).partition(" ")
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "run":
            errors += run_session(doc, line, lines, workdir)
        elif kind == "file":
            with open(os.path.join(workdir, argument), "w") as out:
                out.write("\n".join(lines) + "\n")
        elif kind == "model":
            path = os.path.join(workdir, f"example-{line}.loom")
            with open(path, "w") as out:
                out.write("\n".join(lines) + "\n")
            errors += compile_model(doc, line, path, workdir)
        elif kind == "excerpt":
            source = os.path.join(repo, argument)
            have = loom_lines(open(source).read().split("\n"))
            position = 0
            for want in loom_lines(lines):
                try:
                    position = have.index(want, position) + 1
                except ValueError:
                    errors += fail(doc, line, f"`{want}` is not in {argument} "
                                              "(in this order)")
                    break
            if argument.endswith(".loom"):
                errors += compile_model(doc, line, source, workdir)
        elif kind == "paths":
            # The first column, up to two spaces: paths, separated by ", ".
            # Lines that start with spaces continue the one before.
            for offset, entry in enumerate(lines):
                if not entry.strip() or entry[0].isspace():
                    continue
                column = re.split(r"\s{2,}", entry.strip())[0]
                for path in filter(None, column.split(", ")):
                    if not os.path.exists(os.path.join(repo, path)):
                        errors += fail(doc, line + 1 + offset, f"no such path: {path}")
        else:
            errors += fail(doc, line, f"unknown kind of example '{kind}'")
    print(f"{doc}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) +
          ("" if not errors else f"; {errors} failed"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
