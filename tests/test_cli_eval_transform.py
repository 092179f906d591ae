"""``fjh eval --transform``: stacks over IR files, with proof and cache key, checked against JAX."""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import frankenjax_ref as fj
import frankenjax_ref.numpy as fnp
from frankenjax_ref import ir
from harness.cli import main

X = np.arange(6.0).reshape(2, 3) / 7


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    prog = tmp_path / "prog.json"
    prog.write_text(ir.dumps(fj.make_jaxpr(lambda x: fnp.sum(fnp.sin(x) * x))(np.ones(3))))
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"schema": "frankenjax.args.v1", "args": [ir.encode_array(X)]}))
    return prog, args


def _outputs(capsys: pytest.CaptureFixture[str]) -> dict:  # type: ignore[type-arg]
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "spelling",
    ["vmap(grad)", "vmap,grad", '[{"transform": "vmap", "params": {"in_axes": 0}}, {"transform": "grad"}]'],
)
def test_vmap_grad_matches_jax(files, capsys, spelling: str) -> None:  # type: ignore[no-untyped-def]
    prog, args = files
    assert main(["eval", str(prog), "--args", str(args), "--transform", spelling]) == 0
    doc = _outputs(capsys)
    got = ir.decode_array(doc["outputs"][0])
    want = jax.vmap(jax.grad(lambda x: jnp.sum(jnp.sin(x) * x)))(X)
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-13)
    assert doc["transform"] == "vmap(grad(f))"
    assert [e["transform"] for e in doc["proof"]["evidence"]] == ["vmap", "grad"]
    assert len(doc["cache_key"]) == 64


def test_stack_changes_the_cache_key(files, capsys) -> None:  # type: ignore[no-untyped-def]
    prog, args = files
    keys = []
    for stack in ["vmap(grad)", "jit,vmap,grad"]:
        assert main(["eval", str(prog), "--args", str(args), "--transform", stack]) == 0
        keys.append(_outputs(capsys)["cache_key"])
    assert keys[0] != keys[1]


def test_rejected_stack_and_features_exit_2_with_codes(files, capsys) -> None:  # type: ignore[no-untyped-def]
    prog, args = files
    assert main(["eval", str(prog), "--args", str(args), "--transform", "grad(vmap)"]) == 2
    assert "FJ-DISPATCH-PROOF" in capsys.readouterr().err
    assert (
        main(
            [
                "eval",
                str(prog),
                "--args",
                str(args),
                "--transform",
                "vmap(grad",
            ]
        )
        == 2
    )
    assert "FJ-DISPATCH-PARSE" in capsys.readouterr().err
    assert (
        main(["eval", str(prog), "--args", str(args), "--transform", "vmap(grad)", "--unknown-feature", "x"])
        == 2
    )
    assert "FJ-CACHE-UNKNOWN-FEATURE" in capsys.readouterr().err
    assert (
        main(
            [
                "eval",
                str(prog),
                "--args",
                str(args),
                "--transform",
                "vmap(grad)",
                "--mode",
                "hardened",
                "--unknown-feature",
                "x",
            ]
        )
        == 0
    )
