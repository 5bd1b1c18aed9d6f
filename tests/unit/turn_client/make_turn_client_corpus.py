#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/turn_client_fuzzer.cc into fuzz/corpus/turn_client/.

Each seed is: one setup byte (transport, starting state, PASSWORD-ALGORITHMS, small frame limit) and
then operations [op][len_hi][len_lo][data] — see the header comment of turn_client_fuzzer.cc. The STUN
messages here are plain encodings (RFC 8489 §5-§6, RFC 8656 §12.4); transaction ids and integrity are
filled in by the harness (ops 2 and 3), so the seeds do not depend on the client's random numbers.

Usage: make_turn_client_corpus.py [--out DIR]   (default: fuzz/corpus/turn_client of this tree)
"""

import argparse
import os
import struct

COOKIE = 0x2112A442

UDP, TCP = 0, 1
ST_FIRST, ST_AUTH, ST_ALLOCATED, ST_DEALLOC = 0, 1, 2, 3
SHA256 = 8
SMALL_FRAMES = 16

ALLOCATE, REFRESH, SEND, DATA, CREATE_PERMISSION, CHANNEL_BIND = 3, 4, 6, 7, 8, 9
REQUEST, INDICATION, SUCCESS, ERROR = 0, 1, 2, 3


def setup(transport, state, flags=0):
    return bytes([transport | (state << 1) | flags])


def op(code, data=b""):
    return struct.pack(">BH", code, len(data)) + data


def msg_type(cls, method):
    return ((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
            ((cls & 1) << 4) | ((cls & 2) << 7))


def attr(t, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack(">HH", t, len(value)) + value + b"\x00" * pad


def stun(cls, method, attrs=b"", tid=b"\x00" * 12):
    return struct.pack(">HHI", msg_type(cls, method), len(attrs), COOKIE) + tid + attrs


def xor_address(ip4, port, tid=b"\x00" * 12):
    x_port = port ^ (COOKIE >> 16)
    x_ip = struct.unpack(">I", bytes(ip4))[0] ^ COOKIE
    return struct.pack(">BBHI", 0, 1, x_port, x_ip)


def error_code(code, reason=b"err"):
    return struct.pack(">HBB", 0, code // 100, code % 100) + reason


def channel_data(channel, payload, stream=False):
    pad = (4 - len(payload) % 4) % 4 if stream else 0
    return struct.pack(">HH", channel, len(payload)) + payload + b"\x00" * pad


ALLOCATE_SUCCESS = stun(SUCCESS, ALLOCATE,
                        attr(0x0016, xor_address([192, 0, 2, 1], 50000)) +
                        attr(0x0020, xor_address([10, 0, 0, 1], 40000)) +
                        attr(0x000D, struct.pack(">I", 600)))
REFRESH_SUCCESS = stun(SUCCESS, REFRESH, attr(0x000D, struct.pack(">I", 600)))
STALE = stun(ERROR, ALLOCATE, attr(0x0009, error_code(438)) + attr(0x0014, b"fuzz.realm") +
             attr(0x0015, b"n2"))
MISMATCH = stun(ERROR, REFRESH, attr(0x0009, error_code(437)))
DATA_IND = stun(INDICATION, DATA, attr(0x0012, xor_address([198, 51, 100, 1], 1000)) +
                attr(0x0013, b"hello peer"))


def seeds():
    s = {}
    s["udp_first_allocate_401_then_success"] = (
        setup(UDP, ST_FIRST) +
        op(2, stun(ERROR, ALLOCATE, attr(0x0009, error_code(401)) + attr(0x0014, b"fuzz.realm") +
                   attr(0x0015, b"n1"))) +
        op(3, ALLOCATE_SUCCESS))
    s["udp_auth_success_resigned"] = setup(UDP, ST_AUTH) + op(3, ALLOCATE_SUCCESS)
    s["udp_auth_success_unsigned"] = setup(UDP, ST_AUTH) + op(2, ALLOCATE_SUCCESS)
    s["udp_auth_stale_nonce"] = setup(UDP, ST_AUTH) + op(2, STALE) + op(3, ALLOCATE_SUCCESS)
    s["udp_auth_486"] = setup(UDP, ST_AUTH) + op(3, stun(ERROR, ALLOCATE, attr(0x0009, error_code(486))))
    s["udp_auth_timeouts"] = setup(UDP, ST_AUTH) + op(4, b"\x10\x00") + op(4, b"\x10\x00")
    s["udp_allocated_data"] = (
        setup(UDP, ST_ALLOCATED) + op(0, channel_data(0x4000, b"via channel")) + op(0, DATA_IND) +
        op(0, channel_data(0x4001, b"unknown channel")) + op(8, DATA_IND))
    s["udp_allocated_send_and_bind"] = (
        setup(UDP, ST_ALLOCATED) + op(5, b"\x00payload to peer 0") + op(5, b"\x01channel peer") +
        op(6, b"\x06") + op(5, b"\x02late") + op(3, stun(SUCCESS, CHANNEL_BIND)))
    s["udp_allocated_refresh_cycle"] = (
        setup(UDP, ST_ALLOCATED) + op(4, b"\xd2\xf0") + op(0x33, REFRESH_SUCCESS) +
        op(4, b"\xd2\xf0") + op(2, MISMATCH))
    s["udp_allocated_close"] = setup(UDP, ST_ALLOCATED) + op(7) + op(3, REFRESH_SUCCESS)
    s["udp_dealloc_timeout"] = setup(UDP, ST_DEALLOC) + op(4, b"\x10\x00") + op(4, b"\x10\x00")
    s["udp_sha256_allocated"] = setup(UDP, ST_ALLOCATED, SHA256) + op(0, DATA_IND) + op(7)
    s["tcp_first_allocate"] = setup(TCP, ST_FIRST) + op(4, b"\x0f\xa0")
    s["tcp_allocated_split_frames"] = (
        setup(TCP, ST_ALLOCATED) +
        op(1, channel_data(0x4000, b"abcde", True)[:3]) +
        op(1, channel_data(0x4000, b"abcde", True)[3:] + DATA_IND[:10]) +
        op(1, DATA_IND[10:]))
    s["tcp_allocated_garbled"] = setup(TCP, ST_ALLOCATED) + op(1, b"\x80\x01\x02\x03\x04")
    s["tcp_allocated_oversized"] = (
        setup(TCP, ST_ALLOCATED, SMALL_FRAMES) + op(1, b"\x40\x00\x0f\xa0" + b"\x00" * 16))
    s["tcp_allocated_bad_cookie"] = setup(TCP, ST_ALLOCATED) + op(1, b"\x01\x01\x00\x00\xde\xad\xbe\xef" + b"\x00" * 12)
    s["tcp_allocated_truncated_then_closed"] = (
        setup(TCP, ST_ALLOCATED) + op(1, channel_data(0x4000, b"x" * 40, True)[:20]) + op(15))
    s["tcp_auth_resigned_success"] = setup(TCP, ST_AUTH, SHA256) + op(3, ALLOCATE_SUCCESS)
    s["tcp_dealloc_mismatch"] = setup(TCP, ST_DEALLOC) + op(3, MISMATCH)
    return s


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.normpath(os.path.join(here, "..", "..", "..", "fuzz", "corpus", "turn_client"))
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=default)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(args.out, name + ".bin"), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(seeds()), args.out))


if __name__ == "__main__":
    main()
