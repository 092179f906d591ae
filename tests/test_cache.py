"""Cache keys: stable across processes and hash seeds, sensitive to every field, gated by mode."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import frankenjax_ref as fj
from frankenjax_ref import cache, dispatch, ledger
from frankenjax_ref.errors import CacheError, DispatchError

BASE = {
    "mode": "strict",
    "backend": "cpu",
    "ir_fingerprint": "ab" * 32,
    "transform_stack": [{"transform": "grad", "params": {"argnums": 0}}],
    "compile_options": {"opt_level": 2, "fast_math": False},
    "unknown_features": [],
}

_SCRIPT = """
import json, sys
from frankenjax_ref import cache
fields = json.loads(sys.argv[1])
print(cache.key_from_fields(fields).hex)
"""


def test_keys_are_stable_across_processes_and_hash_seeds() -> None:
    import json

    expected = cache.key_from_fields(BASE).hex
    for seed in ("0", "1", "12345", "random"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", _SCRIPT, json.dumps(BASE)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == expected


def test_dict_order_does_not_matter() -> None:
    reordered = {**BASE, "compile_options": {"fast_math": False, "opt_level": 2}}
    assert cache.key_from_fields(reordered).hex == cache.key_from_fields(BASE).hex


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.lists(st.integers(0, 3), max_size=3),
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(field=st.sampled_from(cache.FIELDS), value=_values)
def test_changing_any_one_field_changes_the_key(field: str, value: object) -> None:
    changed = {**BASE, field: value}
    if changed[field] == BASE[field] and type(changed[field]) is type(BASE[field]):
        return
    assert cache.key_from_fields(changed).hex != cache.key_from_fields(BASE).hex


@settings(max_examples=100, deadline=None, derandomize=True)
@given(a=_values, b=_values)
def test_encoding_is_injective_on_values(a: object, b: object) -> None:
    if type(a) is type(b) and a == b:
        assert cache.encode(a) == cache.encode(b)
    else:
        assert cache.encode(a) != cache.encode(b)


def test_type_tags_separate_lookalikes() -> None:
    assert cache.encode(1) != cache.encode(True) != cache.encode("1") != cache.encode(1.0)
    assert cache.encode(["ab", "c"]) != cache.encode(["a", "bc"])


def _program():  # type: ignore[no-untyped-def]
    return fj.make_jaxpr(lambda x: x * 2.0)(np.ones(3))


def test_strict_rejects_unknown_features_by_name() -> None:
    with ledger.using(ledger.Ledger()) as led, pytest.raises(CacheError) as exc:
        cache.cache_key(
            mode="strict", backend="cpu", closed=_program(), unknown_features=["xla_fancy", "gpu_magic"]
        )
    assert exc.value.code == "FJ-CACHE-UNKNOWN-FEATURE"
    assert "gpu_magic" in exc.value.message and "xla_fancy" in exc.value.message
    assert [r.action for r in led.records] == ["reject"]


def test_hardened_accepts_folds_into_key_and_records() -> None:
    closed = _program()
    with ledger.using(ledger.Ledger()) as led:
        plain = cache.cache_key(mode="hardened", backend="cpu", closed=closed)
        with_feature = cache.cache_key(
            mode="hardened", backend="cpu", closed=closed, unknown_features=["xla_fancy"]
        )
    assert plain.hex != with_feature.hex
    assert with_feature.fields["unknown_features"] == ["xla_fancy"]
    assert [r.action for r in led.records] == ["accept_and_record"]
    assert led.records[0].evidence["features"] == ["xla_fancy"]


def test_unknown_mode_and_backend_are_typed_errors() -> None:
    with pytest.raises(DispatchError) as exc:
        cache.cache_key(mode="lenient", backend="cpu", fingerprint="00")
    assert exc.value.code == "FJ-DISPATCH-MODE"
    with pytest.raises(DispatchError) as exc2:
        dispatch.run(_program(), "jit", [np.ones(3)], backend="tpu")
    assert exc2.value.code == "FJ-DISPATCH-MODE"


def test_key_uses_the_canonical_fingerprint() -> None:
    from frankenjax_ref import ir

    closed = _program()
    again = ir.loads(ir.dumps(closed))
    k1 = cache.cache_key(mode="strict", backend="cpu", closed=closed, stack=dispatch.parse_stack("jit"))
    k2 = cache.cache_key(mode="strict", backend="cpu", closed=again, stack=dispatch.parse_stack("jit"))
    assert k1.hex == k2.hex
    assert k1.fields["ir_fingerprint"] == ir.fingerprint(closed)
