"""Where the dynamic loader finds a library, as glibc's ld.so would: stdlib only, importable by the probe.

Reads an ELF object's DT_NEEDED, DT_RPATH and DT_RUNPATH entries and applies glibc's search order:
DT_RPATH (only when there is no DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH, the ld.so cache, the default
directories. This module must stay stdlib-only and Python 3.7-compatible: the probe imports it inside the
environment being checked, whatever Python that environment has.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess

DT_NEEDED, DT_STRTAB, DT_RPATH, DT_RUNPATH = 1, 5, 15, 29
DEFAULT_DIRS = (
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
)
_CACHE_LINE = re.compile(r"^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)\s*$")


class DynamicInfo:
    """The dynamic-section entries the loader's search uses."""

    def __init__(self, needed: list[str], rpath: list[str], runpath: list[str]) -> None:
        self.needed = needed
        self.rpath = rpath
        self.runpath = runpath


def read_dynamic(path: str) -> DynamicInfo:
    """DT_NEEDED, DT_RPATH and DT_RUNPATH of an ELF file ($ORIGIN expanded). Raises ValueError if the
    file is not a 32/64-bit ELF object with a dynamic section."""
    with open(path, "rb") as handle:
        data = handle.read()
    if data[:4] != b"\x7fELF":
        raise ValueError(path + " is not an ELF file")
    segments, dynamic = _program_headers(data)
    if dynamic is None:
        raise ValueError(path + " has no dynamic section")
    entries = _dynamic_entries(data, dynamic)
    strtab_addr = next((v for t, v in entries if t == DT_STRTAB), None)
    if strtab_addr is None:
        raise ValueError(path + " has no string table")
    # DT_STRTAB is a virtual address: the PT_LOAD segment holding it maps it to a file offset.
    strtab = next((o + strtab_addr - v for v, o, s in segments if v <= strtab_addr < v + s), strtab_addr)

    def string(index: int) -> str:
        end = data.index(b"\0", strtab + index)
        return data[strtab + index : end].decode("utf-8", "replace")

    origin = os.path.dirname(os.path.realpath(path))

    def dirs(tag: int) -> list[str]:
        found = [string(v) for t, v in entries if t == tag]
        return [
            d.replace("$ORIGIN", origin).replace("${ORIGIN}", origin)
            for f in found
            for d in f.split(":")
            if d
        ]

    return DynamicInfo([string(v) for t, v in entries if t == DT_NEEDED], dirs(DT_RPATH), dirs(DT_RUNPATH))


def _layout(data: bytes) -> tuple[bool, str]:
    """(64-bit, struct byte order) from the ELF identification bytes."""
    return data[4] == 2, "<" if data[5] == 1 else ">"


def _program_headers(data: bytes) -> tuple[list[tuple[int, int, int]], tuple[int, int] | None]:
    """The PT_LOAD segments as (vaddr, offset, size), and PT_DYNAMIC's (offset, size) or None."""
    is64, endian = _layout(data)
    if is64:
        phoff = struct.unpack_from(endian + "Q", data, 0x20)[0]
        phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x36)
        ph_fmt = endian + "IIQQQQQQ"
    else:
        phoff = struct.unpack_from(endian + "I", data, 0x1C)[0]
        phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x2A)
        ph_fmt = endian + "IIIIIIII"
    segments = []
    dynamic = None
    for i in range(phnum):
        fields = struct.unpack_from(ph_fmt, data, phoff + i * phentsize)
        # Elf64_Phdr: type, flags, offset, vaddr, paddr, filesz...; Elf32_Phdr: type, offset, vaddr, ...
        p_type, p_offset, p_vaddr, p_filesz = (
            (fields[0], fields[2], fields[3], fields[5])
            if is64
            else (fields[0], fields[1], fields[2], fields[4])
        )
        if p_type == 1:  # PT_LOAD: maps virtual addresses to file offsets
            segments.append((p_vaddr, p_offset, p_filesz))
        elif p_type == 2:  # PT_DYNAMIC
            dynamic = (p_offset, p_filesz)
    return segments, dynamic


def _dynamic_entries(data: bytes, dynamic: tuple[int, int]) -> list[tuple[int, int]]:
    """The (tag, value) entries of the dynamic section, up to DT_NULL."""
    is64, endian = _layout(data)
    dyn_fmt, dyn_size = (endian + "qQ", 16) if is64 else (endian + "iI", 8)
    entries = []
    offset, size = dynamic
    for pos in range(offset, offset + size, dyn_size):
        tag, value = struct.unpack_from(dyn_fmt, data, pos)
        if tag == 0:
            break
        entries.append((tag, value))
    return entries


def loader_cache() -> dict[str, list[str]]:
    """The ld.so cache as SONAME -> [paths] (``ldconfig -p``); empty where there is no ldconfig."""
    for ldconfig in ("/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"):
        try:
            result = subprocess.run(
                [ldconfig, "-p"],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                timeout=20,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        cache: dict[str, list[str]] = {}
        for line in result.stdout.splitlines():
            match = _CACHE_LINE.match(line)
            if match:
                cache.setdefault(match.group(1), []).append(match.group(3))
        return cache
    return {}


def search_order(info: DynamicInfo, ld_library_path: str) -> list[tuple[str, str]]:
    """Directories searched for a library the object loads, with where each came from, in glibc's order."""
    order = []
    if not info.runpath:
        order += [(d, "DT_RPATH") for d in info.rpath]
    order += [(d, "LD_LIBRARY_PATH") for d in ld_library_path.split(":") if d]
    order += [(d, "DT_RUNPATH") for d in info.runpath]
    return order


def find_library(
    soname: str, info: DynamicInfo, ld_library_path: str, cache: dict[str, list[str]]
) -> tuple[str | None, str]:
    """(path, how) of the file the loader would open for ``soname`` from an object with ``info``;
    (None, "not found") if none."""
    for directory, how in search_order(info, ld_library_path):
        candidate = os.path.join(directory, soname)
        if os.path.exists(candidate):
            return candidate, how
    for candidate in cache.get(soname, []):
        if os.path.exists(candidate):
            return candidate, "ld.so cache"
    for directory in DEFAULT_DIRS:
        candidate = os.path.join(directory, soname)
        if os.path.exists(candidate):
            return candidate, "default directories"
    return None, "not found"
