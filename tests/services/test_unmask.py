"""The WebSocket unmasking the entry point gives eventlet: the same bytes as the definition."""

import random

from widget_server.entry import unmask


def by_definition(data: bytes, mask: bytes, length: int, offset: int) -> bytes:
    return bytes(data[i] ^ mask[(offset + i) % 4] for i in range(length))


def test_unmask_agrees_with_the_definition_for_every_offset_and_length() -> None:
    rng = random.Random(7)
    for length in [*range(0, 20), 125, 126, 1000, 65536]:
        data = rng.randbytes(length)
        mask = rng.randbytes(4)
        for offset in range(6):
            assert unmask(data, mask, length, offset) == by_definition(data, mask, length,
                                                                       offset)
    assert unmask(b"\x00\x00\x00\x00\x00", b"\x01\x02\x03\x04") == b"\x01\x02\x03\x04\x01"
    assert unmask(bytearray(b"\xff\xff"), b"\x0f\xf0\x00\x00", None, 1) == b"\x0f\xff"
