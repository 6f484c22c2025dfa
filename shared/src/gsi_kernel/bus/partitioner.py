"""Kafka's default partitioner, for the embedded log: a key goes to the same partition as
Kafka would put it (same murmur2, same modulo), so per-key order means the same on both."""

from __future__ import annotations


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (``org.apache.kafka.common.utils.Utils.murmur2``), unsigned 32 bits.

    Written out rather than imported so the embedded mode needs no Kafka client."""
    m, mask = 0x5BD1E995, 0xFFFFFFFF
    h = (0x9747B28C ^ len(data)) & mask
    tail = len(data) - len(data) % 4
    for i in range(0, tail, 4):
        k = int.from_bytes(data[i : i + 4], "little") * m & mask
        h = (h * m & mask) ^ ((k ^ (k >> 24)) * m & mask)
    if tail < len(data):
        h = (h ^ int.from_bytes(data[tail:], "little")) * m & mask
    h ^= h >> 13
    h = h * m & mask
    return h ^ (h >> 15)


def partition_for(key: str | bytes, partitions: int) -> int:
    """Kafka's default partitioner: positive murmur2 of the key bytes, modulo partitions."""
    data = key.encode("utf-8") if isinstance(key, str) else key
    return (murmur2(data) & 0x7FFFFFFF) % partitions
