"""A structure-aware mutator for JSON inputs (an atheris custom mutator).

Byte-level mutation of a JSON document almost always breaks its syntax, so
the fuzzer would spend its time in the C ``json`` parser (not instrumented:
no feedback) and rarely reach the project's decoders and validators. This
mutator parses the input and edits the *tree* — replaces a value with an
interesting one (type changes, boundary ints, signed zeros, subnormals, NaN
strings), nudges numbers, swaps in dictionary tokens and names used
elsewhere in the document, deletes, duplicates, swaps and splices subtrees,
adds unknown keys — and serialises it again, so most mutants are well-formed
JSON that is *almost* a valid program.

A share of the mutations (and every input that is not JSON) still goes to
libFuzzer's byte mutator, so syntax errors, encodings and the parser's own
limits are exercised too. An optional ``fixup`` repairs what the target
checks first (for sidecar manifests: the self-hash and the canonical text)
so mutants get past it to the consistency checks behind it.

Everything is driven by the ``seed`` libFuzzer passes, so a run is
reproducible with ``-seed``.
"""

from __future__ import annotations

import contextlib
import copy
import json
import random
from collections.abc import Callable
from typing import Any

Mutator = Callable[[bytes, int, int], bytes]

#: share of calls handed to libFuzzer's byte mutator even for JSON inputs
BYTE_LEVEL_SHARE = 0.3
_MAX_SLOTS = 4000

_INTERESTING: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    1,
    -1,
    2,
    3,
    7,
    16,
    255,
    256,
    65535,
    65536,
    2**31 - 1,
    2**31,
    -(2**31),
    2**32 - 1,
    2**32,
    2**53 + 1,
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    2**64 - 1,
    2**64,
    10**30,
    -(10**30),
    0.0,
    -0.0,
    0.5,
    -1.5,
    0.1,
    1e-45,
    5e-324,
    2.2250738585072014e-308,
    65504.0,
    65520.0,
    3.4028234663852886e38,
    3.5e38,
    1.7976931348623157e308,
    1e300,
    -1e300,
    "",
    "a",
    "nan",
    "inf",
    "-inf",
    "nan:0x7ff0000000000001",
    "nan:0xffc00001",
    "nan:0x7c01",
    "nan:0x7f81",
    "nan:0xzz",
    [],
    {},
    [0],
    [[]],
    [1, 2],
    {"var": "a"},
)


def _byte_mutate(data: bytes, max_size: int) -> bytes:
    import atheris

    return bytes(atheris.Mutate(data, max_size))


#: long digit runs: past parsers' own limits (64 digits in the IR reader) and Python's
#: int/str conversion limit (4300 digits), which json.dumps cannot write
_DIGIT_RUNS = (20, 65, 309, 4301)
_DIGITS_MARK = "\x00FJH-DIGITS-"


def _digit_run(n: int) -> str:
    return f"{_DIGITS_MARK}{n}\x00"


def _expand_digit_runs(text: str) -> str:
    """Replace each rendered digit-run marker (a JSON string) by that many digits."""
    marker = '"\\u0000FJH-DIGITS-'
    while marker in text:
        start = text.index(marker)
        end = text.index('\\u0000"', start + len(marker))
        n = int(text[start + len(marker) : end])
        text = text[:start] + "9" * n + text[end + len('\\u0000"') :]
    return text


class _Slot:
    __slots__ = ("container", "key")

    def __init__(self, container: Any, key: Any):
        self.container = container
        self.key = key

    def get(self) -> Any:
        return self.container[self.key]

    def set(self, value: Any) -> None:
        self.container[self.key] = value


def _slots(doc: Any) -> list[_Slot]:
    """Every (container, key) in the tree, breadth first, bounded."""
    root = [doc]
    out = [_Slot(root, 0)]
    queue = [doc]
    while queue and len(out) < _MAX_SLOTS:
        node = queue.pop(0)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in items:
            out.append(_Slot(node, key))
            if isinstance(child, (dict, list)):
                queue.append(child)
    return out


def _strings(doc: Any, limit: int = 200) -> list[str]:
    found: list[str] = []
    stack = [doc]
    while stack and len(found) < limit:
        node = stack.pop()
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            found.extend(k for k in node if isinstance(k, str))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


class JsonMutator:
    """``mutate(data, max_size, seed)`` for atheris' ``custom_mutator``."""

    def __init__(
        self,
        tokens: list[str] | None = None,
        fixup: Callable[[Any], Any] | None = None,
        render: Callable[[Any, random.Random], str] | None = None,
        byte_mutate: Callable[[bytes, int], bytes] = _byte_mutate,
        fixup_probability: float = 0.8,
    ):
        self.tokens = sorted(set(tokens or ()))
        self.fixup = fixup
        self.fixup_probability = fixup_probability
        self.render = render or _render
        self.byte_mutate = byte_mutate

    def __call__(self, data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if rng.random() < BYTE_LEVEL_SHARE:
            return self.byte_mutate(data, max_size)
        try:
            doc = json.loads(bytes(data).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return self.byte_mutate(data, max_size)
        holder = [doc]
        try:
            for _ in range(1 + int(rng.random() < 0.3) + int(rng.random() < 0.1)):
                self._mutate_once(holder, rng)
        except (ArithmeticError, ValueError, TypeError, RecursionError):
            # the mutator must never take the fuzzer down: an edit that cannot be made is a byte edit
            return self.byte_mutate(data, max_size)
        doc = holder[0]
        if self.fixup is not None and rng.random() < self.fixup_probability:
            with contextlib.suppress(Exception):  # a fixup may not apply to a mangled tree
                doc = self.fixup(doc)
        try:
            text = _expand_digit_runs(self.render(doc, rng))
        except (ValueError, TypeError, RecursionError):
            return self.byte_mutate(data, max_size)
        out = text.encode("utf-8", "surrogatepass")
        if len(out) > max_size:
            return self.byte_mutate(data, max_size)
        return out

    # -- tree edits ------------------------------------------------------------------

    def _mutate_once(self, holder: list[Any], rng: random.Random) -> None:
        slots = _slots(holder[0])
        slot = slots[0] if len(slots) == 1 else rng.choice(slots[1:])
        value = slot.get()
        op = rng.randrange(11)
        if op == 0:
            slot.set(copy.deepcopy(rng.choice(_INTERESTING)))
            if rng.random() < 0.05:
                slot.set(_digit_run(rng.choice(_DIGIT_RUNS)))
        elif op == 1 and isinstance(value, (int, float)) and not isinstance(value, bool):
            slot.set(self._number(value, rng))
        elif op == 2 and isinstance(value, str):
            slot.set(self._string(holder[0], value, rng))
        elif (op == 3 and isinstance(slot.container, list) and len(slots) > 1) or (
            op == 3 and isinstance(slot.container, dict)
        ):
            del slot.container[slot.key]
        elif op == 4 and isinstance(slot.container, list):
            slot.container.insert(slot.key, copy.deepcopy(value))
        elif op == 5 and isinstance(value, list) and len(value) >= 2:
            i, j = rng.randrange(len(value)), rng.randrange(len(value))
            value[i], value[j] = value[j], value[i]
        elif op == 6 and len(slots) > 2:
            donor = rng.choice(slots[1:]).get()
            slot.set(copy.deepcopy(donor))
        elif op == 7 and isinstance(value, dict):
            key = rng.choice(self.tokens) if self.tokens and rng.random() < 0.7 else "extra"
            value[key] = copy.deepcopy(rng.choice(_INTERESTING))
        elif op == 8 and isinstance(value, dict) and value:
            old = rng.choice(list(value))
            new = rng.choice(self.tokens) if self.tokens else old + "_"
            value[new] = value.pop(old)
        elif op == 9 and isinstance(value, bool):
            slot.set(not value)
        elif op == 10:
            slot.set([value] if rng.random() < 0.5 else {"var": value} if isinstance(value, str) else [value])
        elif isinstance(value, str):
            slot.set(self._string(holder[0], value, rng))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            slot.set(self._number(value, rng))
        else:
            slot.set(copy.deepcopy(rng.choice(_INTERESTING)))

    def _number(self, value: float, rng: random.Random) -> Any:
        choice = rng.randrange(7)
        if isinstance(value, int):
            if choice == 0:
                return value + rng.choice((-1, 1))
            if choice == 1:
                return -value
            if choice == 2:
                return value * 2 or 1
            if choice == 3:
                return float(value) if abs(value) < 2**1023 else 1e308
            if choice == 4:
                return rng.choice((0, 1, -1, 2 ** rng.randrange(70), -(2 ** rng.randrange(70))))
            return value + rng.randrange(-16, 17)
        if choice == 0:
            return -value
        if choice == 1:
            return value * rng.choice((2.0, 0.5, 1e10, 1e-10))
        if choice == 2:
            return int(value) if value == value and abs(value) < 1e300 else 0
        if choice == 3:
            return rng.choice((0.0, -0.0, 5e-324, -5e-324, 1e-45, 1e-40, 6e-8, 65504.0, 1e38, 1e309))
        return value + rng.uniform(-1, 1)

    def _string(self, doc: Any, value: str, rng: random.Random) -> str:
        choice = rng.randrange(6)
        if choice <= 1 and self.tokens:
            return rng.choice(self.tokens)
        if choice == 2:
            names = _strings(doc)
            return rng.choice(names) if names else value
        if choice == 3:
            return value[: rng.randrange(len(value) + 1)]
        if choice == 4:
            return value + rng.choice(("a", "_", "0", "\u00e9", "\ud800", "\x00", " "))
        return rng.choice(("", "a", "nan", "inf", "x" * 300, "float0", "jit"))


def _render(doc: Any, rng: random.Random) -> str:
    compact = rng.random() < 0.9
    return json.dumps(
        doc,
        separators=(",", ":") if compact else (", ", ": "),
        ensure_ascii=rng.random() < 0.5,
        sort_keys=rng.random() < 0.5,
    )


def json_mutator(tokens: list[bytes]) -> Mutator:
    """The JSON mutator with the target's dictionary tokens (the JSON strings among them)."""
    words = []
    for token in tokens:
        if len(token) >= 2 and token.startswith(b'"') and token.endswith(b'"'):
            words.append(token[1:-1].decode("utf-8", "replace"))
    return JsonMutator(words)
