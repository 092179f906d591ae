"""``python -m harness.fuzz.worker --target T [options] -- [libFuzzer flags and corpus dirs]``.

The atheris process. :func:`harness.fuzz.runner.run_fuzz` starts one per
job; run it by hand only to debug. It

1. imports the target's check function (and everything it imports) inside
   ``atheris.instrument_imports`` for the target's packages, so the
   project's pure-Python parsers and validators feed coverage back to
   libFuzzer (the C ``json`` parser gives none);
2. verifies that every module the target lists as required is instrumented,
   instrumenting stragglers (modules imported before the hook) function by
   function, and prints one ``FJH-INSTRUMENTED`` line per module (exit 3 with
   ``FJH-ERROR`` if one cannot be instrumented);
3. writes the target's dictionary to a temporary ``-dict`` file, installs its
   custom mutator, and hands control to libFuzzer.

A clean input returns; one slower than ``--slow-seconds`` raises
:class:`~harness.fuzz.oracle.SlowInput` (libFuzzer records it like any
crash); findings raised by the target escape to libFuzzer unchanged.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import types
from typing import Any

from harness.fuzz.registry import NEVER_INSTRUMENT, get_target

_MARK = "__ATHERIS_INSTRUMENTED__"
EXIT_INSTRUMENTATION = 3


def _code_instrumented(code: types.CodeType) -> bool:
    return any(isinstance(c, str) and c == _MARK for c in code.co_consts)


def _module_functions(module: types.ModuleType) -> list[types.FunctionType]:
    """Functions and methods defined in ``module`` (not imported into it)."""
    found: list[types.FunctionType] = []
    seen: set[int] = set()

    def visit(obj: Any, depth: int) -> None:
        if id(obj) in seen or depth > 3:
            return
        seen.add(id(obj))
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        if isinstance(obj, property):
            for f in (obj.fget, obj.fset, obj.fdel):
                if f is not None:
                    visit(f, depth + 1)
            return
        if isinstance(obj, types.FunctionType) and obj.__module__ == module.__name__:
            found.append(obj)
        elif isinstance(obj, type) and obj.__module__ == module.__name__:
            for member in vars(obj).values():
                visit(member, depth + 1)

    for value in list(vars(module).values()):
        visit(value, 0)
    return found


def ensure_instrumented(modules: tuple[str, ...]) -> list[tuple[str, int, int, int]]:
    """(module, functions, instrumented, patched late) for each required module.

    Functions the import hook could not see (dataclass-generated methods,
    modules imported before the hook) are patched here.
    """
    import atheris

    report = []
    for name in modules:
        module = sys.modules.get(name)
        if module is None:
            __import__(name)
            module = sys.modules[name]
        functions = _module_functions(module)
        patched = 0
        for func in functions:
            if not _code_instrumented(func.__code__):
                atheris.instrument_func(func)
                patched += 1
        done = sum(_code_instrumented(f.__code__) for f in functions)
        report.append((name, len(functions), done, patched))
    return report


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" in argv:
        split = argv.index("--")
        ours, libfuzzer = argv[:split], argv[split + 1 :]
    else:
        ours, libfuzzer = argv, []
    parser = argparse.ArgumentParser(prog="python -m harness.fuzz.worker")
    parser.add_argument("--target", required=True)
    parser.add_argument("--slow-seconds", type=float, default=0.0, help="0 disables the slow check")
    parser.add_argument("--no-mutator", action="store_true", help="byte-level mutation only")
    parser.add_argument("--no-dict", action="store_true", help="no libFuzzer dictionary")
    opts = parser.parse_args(ours)

    import atheris

    target = get_target(opts.target)
    target.ensure_available()
    with atheris.instrument_imports(include=list(target.instrument), exclude=list(NEVER_INSTRUMENT)):
        check = target.load_check()
        tokens = target.load_dictionary()
        mutator = None if opts.no_mutator else target.load_mutator(tokens)
    for name, functions, done, patched in ensure_instrumented(target.required_modules):
        print(
            f"FJH-INSTRUMENTED {name} functions={functions} instrumented={done} late={patched}",
            file=sys.stderr,
        )
        if done < functions or functions == 0:
            print(f"FJH-ERROR module {name} is not instrumented ({done}/{functions})", file=sys.stderr)
            return EXIT_INSTRUMENTATION

    if tokens and not opts.no_dict:
        fd, dict_path = tempfile.mkstemp(prefix=f"fjh-{target.name}-", suffix=".dict")
        with os.fdopen(fd, "w") as handle:
            for token in tokens:
                escaped = "".join(
                    chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\x{b:02x}" for b in token
                )
                handle.write(f'"{escaped}"\n')
        libfuzzer = [f"-dict={dict_path}", *libfuzzer]

    slow = opts.slow_seconds
    from harness.fuzz.oracle import SlowInput

    def test_one_input(data: bytes) -> None:
        start = time.perf_counter()
        outcome = check(data)
        elapsed = time.perf_counter() - start
        if slow and elapsed > slow:
            raise SlowInput(outcome, elapsed, slow)

    sys.stderr.flush()
    kwargs: dict[str, Any] = {}
    if mutator is not None:
        kwargs["custom_mutator"] = mutator
    atheris.Setup([sys.argv[0], *libfuzzer], test_one_input, **kwargs)
    atheris.Fuzz()
    return 0  # pragma: no cover - atheris.Fuzz exits the process


if __name__ == "__main__":
    sys.exit(main())
