"""The machine a bench's protocol names: the CPU's widest vector unit as well as its name,
since machines of one name differ ~2.4x in speed."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_bench import FakeLauncher, bench_dir, go

from ganzoo.bench.machine import machine, vector_unit


@pytest.mark.parametrize(("flags", "unit"), [
    ("fpu sse2 avx avx2 fma", "AVX2"),
    ("avx2 avx512f avx512bw", "AVX-512"),
    ("avx2 avx512f avx512_bf16", "AVX512-BF16"),
    ("avx2 avx512f avx512_bf16 amx_tile amx_bf16", "AMX"),
    ("fpu sse sse2", None),
])
def test_the_widest_vector_unit_among_the_flags(flags: str, unit: str | None) -> None:
    assert vector_unit(flags.split()) == unit


def test_the_protocol_names_each_machines_vector_unit(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    kinds = iter([{"processor": "AMD EPYC", "vector_unit": "AVX-512", "cpus": 2,
                   "system": "Linux", "boot": "a"},
                  {"processor": "AMD EPYC", "vector_unit": "AVX2", "cpus": 2,
                   "system": "Linux", "boot": "b"}])
    monkeypatch.setattr("ganzoo.bench.jobs.machine", lambda: next(kinds))
    go(tmp_path, FakeLauncher(), seeds=[0])
    go(tmp_path, FakeLauncher(), seeds=[0, 1])
    table = (bench_dir(tmp_path) / "leaderboard.md").read_text()
    assert ("**machine**: AMD EPYC with AVX-512, 2 CPUs (Linux), "
            "AMD EPYC with AVX2, 2 CPUs (Linux)") in table


def test_this_machine_is_recorded_with_its_boot() -> None:
    record = machine()
    assert record["cpus"] and record["processor"]
    if Path("/proc/sys/kernel/random/boot_id").exists():
        assert record["boot"]
