"""Which of our RE2 patterns Discord's AutoMod cannot run.

AutoMod takes Rust-flavoured regular expressions (the `regex` crate). RE2 and the `regex`
crate share their design (no back-references, no look-around, both refused by RE2 at load
already), and nearly all their syntax; what RE2 accepts and Rust does not is listed here,
found by a scan that skips escaped backslashes, so ``\\\\C`` (a backslash, then C) passes.
"""

from __future__ import annotations

# What follows a backslash in RE2 syntax that the `regex` crate refuses, and why.
_RUST_LACKS = {
    "C": r"\C (any single byte) has no Rust equivalent",
    "Q": r"\Q…\E quoting is RE2's own; escape each character instead",
    "E": r"\Q…\E quoting is RE2's own; escape each character instead",
}
_OCTAL = "01234567"


def rust_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be given to AutoMod as it is, or None if it can."""
    index = 0
    while index < len(pattern) - 1:
        if pattern[index] != "\\":
            index += 1
            continue
        escaped = pattern[index + 1]
        if escaped in _RUST_LACKS:
            return _RUST_LACKS[escaped]
        if escaped in _OCTAL:
            # RE2 reads \1 as octal or a back-reference; Rust allows octal only behind a flag.
            return rf"\{escaped} (an octal escape) is refused by Rust; write \x{{..}} instead"
        index += 2
    return None
