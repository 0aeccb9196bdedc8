"""Shared pieces of the commands that write results files (BENCHMARKS.md, EVAL.md)."""
from __future__ import annotations

import os
import platform
from pathlib import Path


# Instructions that decide how fast MiniLM runs here: bf16 builds need AVX512-BF16 or AMX (else
# torch builds in fp32), and int8 embedding is 2-3x faster with VNNI or AMX dot products.
_FEATURES = (("avx512f", "AVX-512"), ("avx512_vnni", "VNNI"), ("avx_vnni", "VNNI"), ("avx512_bf16", "BF16"),
             ("amx_int8", "AMX"), ("amx_bf16", "AMX"))


def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> set[str] | None:
    """The CPU's feature flags from /proc/cpuinfo; None when unreadable."""
    try:
        with open(cpuinfo) as handle:
            return set(next((line.split(":", 1)[1].split() for line in handle if line.startswith("flags")), ()))
    except OSError:
        return None


def int8_dot_products(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether the CPU has int8 dot-product instructions (VNNI, AMX), which OpenVINO's int8
    MiniLM needs to be fast and close to fp32; True when unknown (no /proc/cpuinfo)."""
    flags = cpu_flags(cpuinfo)
    return flags is None or bool(flags & {"avx512_vnni", "avx_vnni", "amx_int8"})


def cpu_features(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The vector instructions behind this machine's speed, e.g. "AVX2 only" or "AVX-512, VNNI,
    BF16, AMX"; "" when unknown."""
    flags = cpu_flags(cpuinfo)
    if flags is None:
        return ""
    found = list(dict.fromkeys(name for flag, name in _FEATURES if flag in flags))
    if found:
        return ", ".join(found)
    return "AVX2 only" if "avx2" in flags else ""


def cpu_name(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The CPU's model name with the vector instructions behind its speed: "AMD EPYC (AVX2 only)"."""
    model = platform.processor() or "unknown CPU"
    try:
        with open(cpuinfo) as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), model)
    except OSError:
        pass
    features = cpu_features(cpuinfo)
    return f"{model} ({features})" if features else model


def machine() -> str:
    """CPU model, logical CPUs, memory, OS and Python of this machine, in one line."""
    model = cpu_name()
    memory = ""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages * size / 2**30:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        pass
    return (f"{model}, {os.cpu_count()} logical CPUs{memory}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def write_section(path: Path, name: str, section: str) -> None:
    """Put `section` between `<!-- name:begin -->` and `<!-- name:end -->` in `path`, leaving
    the rest of the file alone; the file and the markers are created when missing."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    replace_marked(path, begin, end, f"{begin}\n{section.strip()}\n{end}")


def replace_marked(path: Path, begin: str, end: str, block: str) -> None:
    """Replace the part of `path` from `begin` to `end` (markers included) by `block`, or
    append `block` when the markers are missing; written atomically."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if begin in text and end in text and text.index(begin) < text.index(end):
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)  # readers never see a half-written file
