"""Checks on text that will reach a shell line, an #SBATCH directive or a file name (pure).

A name, a variable or a site value is checked where it is declared, so the error names the place
the user wrote it; the jobscript renderer checks again, so that nothing which slipped past a
declaration (a name built at run time inside a @dynamic) can start a shell command.
"""
from __future__ import annotations

import re

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")  # what `export NAME=` takes as one variable


def describe_char(ch: str) -> str:
    """A character as a user can read it in a one-line message: '\\n', ' ', ';' or U+2028."""
    if ch.isprintable() and not ch.isspace():
        return repr(ch)
    if ch == " ":
        return "a space"
    escaped = repr(ch)
    return escaped if escaped.startswith("'\\") else f"U+{ord(ch):04X}"


def control_char(text: str) -> str | None:
    """The first character that ends or breaks a line (a control character, a line or paragraph separator)."""
    if text.isprintable():  # none of those categories is printable: most names end here, without unicodedata
        return None
    import unicodedata

    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs"):  # Cs: a lone surrogate cannot be written
            return ch
    return None


def blank_or_control_char(text: str) -> str | None:
    """The first control character or whitespace: a value Slurm reads as one word (an account, a QoS) has neither."""
    import unicodedata

    for ch in text:
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs"):
            return ch
    return None


def env_name_problem(name: object) -> str | None:
    """Why `name` cannot be an environment variable's name, or None when it can."""
    if not isinstance(name, str):
        return f"{name!r} is not a string"
    if not name:
        return "the name is empty"
    if ENV_NAME.match(name):
        return None
    bad = name[0] if name[0].isdigit() else next(ch for ch in name if not (ch.isascii() and (ch.isalnum() or ch == "_")))
    return (f"{name!r} has {describe_char(bad)}; a variable's name is letters, digits and _, "
            "not starting with a digit")


def name_problem(name: object) -> str | None:
    """Why `name` cannot name a node or task (it is written into jobscripts and logs), or None."""
    if not isinstance(name, str):
        return f"{name!r} is not a string"
    if not name.strip():
        return "the name is empty"
    bad = control_char(name)
    if bad is not None:
        return f"{name!r} has {describe_char(bad)}; a name is one line of printable characters"
    return None


def one_line(text: str) -> str:
    """`text` with every line-breaking character shown escaped, for a comment or a log line."""
    return "".join(ch if control_char(ch) is None else repr(ch)[1:-1] for ch in text)


def variable_problem(name: object, value: object) -> str | None:
    """Why `name=value` cannot be one `export NAME=value` line of a jobscript, or None."""
    problem = env_name_problem(name)
    if problem is None and (not isinstance(value, str) or "\0" in value or _has_surrogate(value)):
        problem = f"the value of {name} must be text without NUL characters, not {value!r}"
    return problem


def _has_surrogate(value: str) -> bool:
    if value.isprintable():  # a lone surrogate is not printable
        return False
    import unicodedata

    return any(unicodedata.category(ch) == "Cs" for ch in value)


def bash_quote(value: str) -> str:
    """`value` as one bash word on one line: shlex's quoting, or $'...' with escapes when it holds
    line-breaking characters (a line-based step must not split or drop a part of it)."""
    if control_char(value) is None:
        import shlex

        return shlex.quote(value)
    out = []
    for ch in value:
        if ch in "\\'":
            out.append("\\" + ch)
        elif control_char(ch) is not None:
            out.append("".join(f"\\x{b:02x}" for b in ch.encode()))  # bytes: \\u would depend on the locale
        else:
            out.append(ch)
    return "$'" + "".join(out) + "'"
