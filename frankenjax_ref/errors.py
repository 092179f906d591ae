"""One error taxonomy for the whole project, with stable codes.

Every error the project raises on purpose is an :class:`FJError` carrying a
code from :data:`ERROR_CODES`. Codes are part of the public contract: scripts
and CI match on them, so a code is never renamed or reused for a different
meaning. Messages say what was wrong, where, and what to do about it.

The harness (``harness/errors.py``) registers its own codes in the same table
through :func:`register_code`, so ``fjh errors`` can list every code from one
place and tests can check that each one is produced by some negative test.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    """A registered error code and what it means."""

    code: str
    family: str
    summary: str


ERROR_CODES: dict[str, ErrorCode] = {}


def register_code(code: str, family: str, summary: str) -> str:
    """Register ``code`` once; re-registering with a different meaning is a bug."""
    existing = ERROR_CODES.get(code)
    if existing is not None and existing.summary != summary:
        raise ValueError(f"error code {code} registered twice with different meanings")
    ERROR_CODES[code] = ErrorCode(code, family, summary)
    return code


class FJError(Exception):
    """Base of every typed error in FrankenJAX.

    ``code`` is stable; ``where`` locates the problem (a JSON path, an equation
    index, a file); ``hint`` says what to do.
    """

    family = "FJ"

    def __init__(self, code: str, message: str, *, where: str | None = None, hint: str | None = None):
        if code not in ERROR_CODES:
            raise ValueError(f"unregistered error code {code!r}")
        self.code = code
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        text = f"[{self.code}] {self.message}"
        if self.where:
            text += f" (at {self.where})"
        if self.hint:
            text += f"; {self.hint}"
        return text

    def to_json(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "where": self.where, "hint": self.hint}

    def chain_codes(self) -> list[str]:
        """This error's code, then the codes of the typed errors it wraps (``raise ... from``), outermost
        first: a failed composition proof wraps its cause, and a check may expect either."""
        codes = [self.code]
        cause = self.__cause__
        while isinstance(cause, FJError):
            codes.append(cause.code)
            cause = cause.__cause__
        return codes


class IRError(FJError):
    """A program (canonical JSON or in-memory IR) is malformed or ill-typed."""

    family = "IR"


class PrimitiveError(FJError):
    """A primitive was applied to operands or params it does not accept."""

    family = "PRIM"


class RuleMissingError(FJError):
    """A transform needs a rule that the primitive registry does not have."""

    family = "RULE"

    def __init__(self, primitive: str, rule: str):
        self.primitive = primitive
        self.rule = rule
        super().__init__(
            "FJ-RULE-MISSING",
            f"primitive '{primitive}' has no '{rule}' rule",
            where=f"registry table '{rule}'",
            hint="register one in frankenjax_ref/primitives, or avoid this transform",
        )


class TransformError(FJError):
    """A transform was applied in a way JAX also rejects."""

    family = "TRANSFORM"


class DispatchError(FJError):
    """A transform stack failed its composition proof or could not be parsed."""

    family = "DISPATCH"


class CacheError(FJError):
    """A cache key could not be built under the requested mode."""

    family = "CACHE"


class LedgerError(FJError):
    """A decision ledger is malformed or fails verification."""

    family = "LEDGER"


# --- codes -----------------------------------------------------------------

for _code, _summary in [
    ("FJ-IR-SYNTAX", "input is not valid UTF-8 JSON"),
    ("FJ-IR-SCHEMA", "JSON does not have the shape of the frankenjax.ir.v1 schema"),
    ("FJ-IR-VERSION", "unknown or missing schema version"),
    ("FJ-IR-UNBOUND-VAR", "a variable is used before it is bound in its scope"),
    ("FJ-IR-DUPLICATE-BINDER", "a variable is bound twice (shadowing or repeated binder)"),
    ("FJ-IR-TYPE-MISMATCH", "declared avals disagree with abstract evaluation"),
    ("FJ-IR-UNKNOWN-PRIMITIVE", "equation names a primitive the registry does not know"),
    ("FJ-IR-PARAM", "equation params are missing, unknown or of the wrong type"),
    ("FJ-IR-DTYPE", "unknown dtype name"),
    ("FJ-IR-VALUE", "an encoded array value is malformed (count, range, encoding)"),
    ("FJ-IR-LIMIT", "input exceeds a configured resource limit"),
    ("FJ-IR-ARITY", "wrong number of inputs, outputs, consts or arguments"),
]:
    register_code(_code, "IR", _summary)

for _code, _summary in [
    ("FJ-PRIM-SHAPE", "operand shapes are incompatible for this primitive"),
    ("FJ-PRIM-DTYPE", "operand dtypes are not accepted by this primitive"),
    ("FJ-PRIM-PARAM", "primitive params are invalid for these operands"),
    ("FJ-PRIM-CONCRETE", "a concrete value was needed but only an abstract one is known"),
]:
    register_code(_code, "PRIM", _summary)

register_code("FJ-RULE-MISSING", "RULE", "a primitive lacks the rule a transform needs")

for _code, _summary in [
    ("FJ-GRAD-NONSCALAR", "grad of a function whose output is not a real scalar"),
    ("FJ-GRAD-INPUT-DTYPE", "grad with respect to an integer or boolean input"),
    ("FJ-GRAD-OUTPUT-DTYPE", "grad of a function whose output is not floating point"),
    ("FJ-TRANSFORM-ARGNUMS", "argnums out of range or malformed"),
    ("FJ-TRANSFORM-HAS-AUX", "has_aux function did not return a (value, aux) pair"),
    ("FJ-VMAP-AXES", "in_axes/out_axes do not match the arguments or results"),
    ("FJ-VMAP-SIZE", "mapped axes have inconsistent or missing sizes"),
    ("FJ-TRANSFORM-TREE", "pytree structures do not match"),
    ("FJ-TRANSFORM-SHAPE", "a jvp tangent does not have its primal's shape"),
    ("FJ-TRANSFORM-LEAKED", "a tracer escaped the transform that created it"),
    ("FJ-TRANSFORM-CONCRETE", "a concrete value was needed from a tracer (Python control flow, float())"),
    ("FJ-TRANSFORM-TYPE", "a transform argument is not an array or pytree of arrays"),
]:
    register_code(_code, "TRANSFORM", _summary)

for _code, _summary in [
    ("FJ-DISPATCH-PARSE", "a transform stack string could not be parsed"),
    ("FJ-DISPATCH-PROOF", "the transform stack failed its composition proof"),
    ("FJ-DISPATCH-MODE", "unknown execution mode or backend"),
]:
    register_code(_code, "DISPATCH", _summary)

register_code("FJ-CACHE-UNKNOWN-FEATURE", "CACHE", "strict mode rejects unknown features")

for _code, _summary in [
    ("FJ-LEDGER-TAMPERED", "ledger hash chain does not verify"),
    ("FJ-LEDGER-FORMAT", "ledger record is malformed"),
    ("FJ-LEDGER-DECISION", "a decision cannot be made from the given loss matrix and posterior"),
]:
    register_code(_code, "LEDGER", _summary)
