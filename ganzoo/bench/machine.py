"""The machine a bench runs on, as its protocol records it: wall times and float32 rounding
mean nothing without it.

Machines lent to sessions report the same model name for CPUs of different speed (two
"AMD EPYC" ran `dcgan`'s bench job in 1,218 s and 2,865 s), so the record names the
widest vector unit the CPU has as well as its name.
"""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterable
from typing import Any

from ganzoo.engine.runtime import cpu_info

#: /proc/cpuinfo flag -> the name the protocol shows, widest first
VECTOR_UNITS = (("amx_bf16", "AMX"), ("avx512_bf16", "AVX512-BF16"), ("avx512f", "AVX-512"),
                ("avx2", "AVX2"))


def vector_unit(flags: Iterable[str]) -> str | None:
    """The widest of `VECTOR_UNITS` among a CPU's flags, or None."""
    have = set(flags)
    return next((name for flag, name in VECTOR_UNITS if flag in have), None)


def machine() -> dict[str, Any]:
    """Processor, its vector unit, CPUs, system, Python, and the boot id (random per boot:
    tells a bench restarted on this machine from one on another)."""
    info = cpu_info()
    cpu = platform.processor() or platform.machine()
    if name := info.get("model name"):
        cpu = f"{name} ({cpu})" if cpu and cpu not in name else name
    unit = vector_unit(info.get("flags", "").split())
    boot = ""
    with contextlib.suppress(OSError), open("/proc/sys/kernel/random/boot_id",
                                            encoding="utf-8") as f:
        boot = f.read().strip()
    return {"processor": cpu, **({"vector_unit": unit} if unit else {}),
            "cpus": os.cpu_count(), "system": platform.system(),
            "python": platform.python_version(), **({"boot": boot} if boot else {})}
