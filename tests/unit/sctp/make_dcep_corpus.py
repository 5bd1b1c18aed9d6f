#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/sctp_dcep_fuzzer.cc into fuzz/corpus/sctp_dcep/.

Valid DATA_CHANNEL_OPENs of every channel type (RFC 8832 §5.1) with assorted labels, protocols and
reliability parameters, the DATA_CHANNEL_ACK, and broken variants (truncated, trailing bytes, unknown
types, overrunning lengths). Run from the repository root: tests/unit/sctp/make_dcep_corpus.py
"""
import os
import struct

OUT = os.path.join("fuzz", "corpus", "sctp_dcep")


def open_msg(channel_type, priority, reliability, label, protocol):
    return struct.pack("!BBHIHH", 3, channel_type, priority, reliability, len(label), len(protocol)) + label + protocol


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {}
    types = [0x00, 0x80, 0x01, 0x81, 0x02, 0x82]
    for i, t in enumerate(types):
        seeds[f"open_type_{t:02x}"] = open_msg(t, 256, [0, 0, 3, 0, 1500, 0][i], b"chat", b"")
    seeds["open_empty"] = open_msg(0, 256, 0, b"", b"")
    seeds["open_protocol"] = open_msg(0x80, 512, 0, b"", b"json-rpc")
    seeds["open_both"] = open_msg(0x01, 128, 5, b"label", b"proto")
    seeds["open_utf8"] = open_msg(0x00, 1024, 0, "données".encode(), "протокол".encode())
    seeds["open_long_label"] = open_msg(0x02, 256, 65535, b"L" * 1000, b"p")
    seeds["open_max_reliability"] = open_msg(0x81, 0xFFFF, 0xFFFFFFFF, b"x", b"")
    seeds["open_binary_label"] = open_msg(0x00, 256, 0, bytes(range(32)), bytes([0, 0xFF]))
    seeds["ack"] = b"\x02"
    seeds["ack_trailing"] = b"\x02\x00"
    seeds["empty"] = b""
    seeds["unknown_message_type"] = b"\x04\x00"
    good = open_msg(0x00, 256, 0, b"ab", b"c")
    seeds["open_truncated_header"] = good[:11]
    seeds["open_truncated_body"] = good[:-1]
    seeds["open_trailing"] = good + b"\x00"
    seeds["open_label_overrun"] = good[:8] + struct.pack("!HH", 255, 1) + good[12:]
    seeds["open_huge_lengths"] = good[:8] + b"\xff\xff\xff\xff" + good[12:]
    for t in [0x03, 0x83, 0x40, 0x7F, 0xFF]:
        seeds[f"open_bad_type_{t:02x}"] = good[:1] + bytes([t]) + good[2:]
    seeds["open_as_ack_type"] = b"\x02" + good[1:]
    # Recipes for the builder half of the harness (type, priority, reliability, label size, bytes).
    seeds["recipe_rexmit"] = struct.pack("!BHIH", 0x01, 256, 7, 3) + b"abcproto"
    seeds["recipe_bad_type"] = struct.pack("!BHIH", 0x05, 256, 7, 3) + b"abc"
    seeds["recipe_label_longer_than_rest"] = struct.pack("!BHIH", 0x82, 1, 100, 500) + b"short"
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(seeds)} seeds to {OUT}")


if __name__ == "__main__":
    main()
