"""Shard routing: which command queue owns a doctor. Kiosks in any language implement the same rule."""

import zlib
from uuid import UUID


def shard_for(doctor_id: UUID, shard_count: int) -> int:
    """CRC-32 of the doctor id's canonical text (lower-case, hyphenated) modulo the shard count."""
    return zlib.crc32(str(doctor_id).encode("ascii")) % shard_count
