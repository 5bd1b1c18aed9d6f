#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/turn_server_fuzzer.cc into fuzz/corpus/turn_server/.

Each seed is one setup byte and then operations [op][len_hi][len_lo][data] (see the header comment of
turn_server_fuzzer.cc). Raw datagrams are plain STUN encodings (RFC 8489 §5-§6, RFC 8656 §12.4);
authenticated requests use op 3, which the harness signs with the nonce it learned from the server.

Usage: make_turn_server_corpus.py [--out DIR]   (default: fuzz/corpus/turn_server of this tree)
"""

import argparse
import os
import struct

COOKIE = 0x2112A442
CONFIRM, PASSWORD_ALGORITHMS, BANDWIDTH, TINY, RFC8656_CHANNELS_ONLY = 1, 2, 4, 8, 16
BINDING, ALLOCATE, REFRESH, SEND, CREATE_PERMISSION, CHANNEL_BIND = 1, 3, 4, 6, 8, 9
REQUEST, INDICATION = 0, 1
# op 3 method selectors (data[0] % 5)
S_ALLOCATE, S_REFRESH, S_PERMISSION, S_CHANNEL, S_SEND = 0, 1, 2, 3, 4
# kChannels indices (op 3 data[2] % 8 with F_CHANNEL, op 7 (op >> 3) % 8)
CH_4000, CH_5000, CH_7647, CH_8000 = 0, 5, 6, 7
# op 3 flags (data[1])
F_UDP, F_LIFETIME, F_EVEN, F_DUAL, F_DF, F_CHANNEL = 1, 2, 16, 32, 64, 128


def peer_flag(i):
    return (i & 3) << 2


def op(code, data=b""):
    return struct.pack(">BH", code, len(data)) + data


def msg_type(cls, method):
    return ((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
            ((cls & 1) << 4) | ((cls & 2) << 7))


def attr(t, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack(">HH", t, len(value)) + value + b"\0" * pad


def stun(cls, method, attrs=b"", tid=b"\x01" * 12):
    return struct.pack(">HHI", msg_type(cls, method), len(attrs), COOKIE) + tid + attrs


def signed(selector, flags, arg=0, raw=b""):
    return op(3, bytes([selector, flags, arg]) + raw)


def channel_data(ch, payload, stream=False):
    pad = (4 - len(payload) % 4) % 4 if stream else 0
    return struct.pack(">HH", ch, len(payload)) + payload + b"\0" * pad


REQUESTED_TRANSPORT = attr(0x0019, b"\x11\0\0\0")
UNAUTH_ALLOCATE = stun(REQUEST, ALLOCATE, REQUESTED_TRANSPORT)
BINDING_REQ = stun(REQUEST, BINDING)
TIME_1S = op(4, b"\x00\x09")
TIME_10MIN = op(4, struct.pack(">H", 6000))


def allocated(setup, extra_flags=0):
    """Challenge, authenticated Allocate, and (with CONFIRM) the bind reports."""
    s = bytes([setup]) + op(0, UNAUTH_ALLOCATE) + signed(S_ALLOCATE, F_UDP | extra_flags)
    if setup & CONFIRM:
        s += op(5, b"\x00\x00") + op(5, b"\x01\x00")
    return s


def seeds():
    out = {}
    out["binding_udp"] = b"\0" + op(0, BINDING_REQ)
    out["binding_tcp_split"] = b"\0" + op(1, BINDING_REQ[:7]) + op(1, BINDING_REQ[7:])
    out["unauth_allocate"] = b"\0" + op(0, UNAUTH_ALLOCATE)
    out["garbage_udp"] = b"\0" + op(0, b"\xff\x00\x12\x34garbage")
    out["garbage_tcp"] = b"\0" + op(1, b"\x99" * 16)
    out["oversized_tcp"] = bytes([TINY]) + op(1, struct.pack(">HHI", 1, 0xEA60, COOKIE))
    out["truncated_tcp_then_closed"] = b"\0" + op(1, UNAUTH_ALLOCATE[:25]) + op(6)
    base = allocated(0)
    out["allocate"] = base
    out["allocate_sha256"] = allocated(PASSWORD_ALGORITHMS)
    out["allocate_confirm"] = allocated(CONFIRM)
    out["allocate_confirm_fail"] = (bytes([CONFIRM]) + op(0, UNAUTH_ALLOCATE) + signed(S_ALLOCATE, F_UDP) +
                                    op(5, b"\x00\x01") * 9)
    out["allocate_dual"] = allocated(0, F_DUAL)
    out["allocate_even_reserve"] = allocated(0, F_EVEN) + signed(S_ALLOCATE, F_UDP, 1)
    out["allocate_df"] = allocated(0, F_DF)
    out["allocate_lifetime_refresh"] = (allocated(0, F_LIFETIME) + signed(S_REFRESH, F_LIFETIME, 200) +
                                        TIME_10MIN + signed(S_REFRESH, F_LIFETIME, 0))
    out["permission_send_data"] = (base + signed(S_PERMISSION, peer_flag(0)) +
                                   signed(S_SEND, peer_flag(0), 0, attr(0x0013, b"hello")) +
                                   op(2, b"from the peer"))
    out["channel_both_ways"] = (base + signed(S_CHANNEL, F_CHANNEL | peer_flag(0), 0) +
                                op(7, b"channel data") + op(2, b"peer reply") + TIME_1S)
    # RFC 5766 numbers (coturn's turnutils_uclient binds e.g. 0x7647): accepted by default, 400 with
    # RFC 8656 numbers only; 0x8000 is outside both.
    rfc5766 = (signed(S_CHANNEL, F_CHANNEL | peer_flag(0), CH_7647) + op((CH_7647 << 3) | 7, b"channel data") +
               op(2, b"peer reply") + signed(S_CHANNEL, F_CHANNEL | peer_flag(1), CH_5000) +
               op((CH_5000 << 3) | 7, b"x") + signed(S_CHANNEL, F_CHANNEL | peer_flag(1), CH_8000) +
               op((CH_8000 << 3) | 7, b"y"))
    out["channel_rfc5766"] = base + rfc5766
    out["channel_rfc5766_strict"] = allocated(RFC8656_CHANNELS_ONLY) + rfc5766
    out["tcp_rfc5766_channel_data"] = (b"\0" + op(1, channel_data(0x7647, b"abc", True) + BINDING_REQ) +
                                       op(1, channel_data(0x6000, b"", True)))
    out["tcp_rfc5766_channel_data_strict"] = bytes([RFC8656_CHANNELS_ONLY]) + op(1, channel_data(0x7647, b"abc", True))
    out["channel_expiry"] = (base + signed(S_CHANNEL, F_CHANNEL | peer_flag(1), 1) + TIME_10MIN +
                             signed(S_REFRESH, 0) + signed(S_CHANNEL, F_CHANNEL | peer_flag(0), 1) + TIME_10MIN)
    out["denied_peers"] = (base + signed(S_PERMISSION, peer_flag(2)) + signed(S_CHANNEL, F_CHANNEL | peer_flag(3)) +
                           signed(S_SEND, peer_flag(3), 0, attr(0x0013, b"x")))
    out["tiny_limits_flood"] = (bytes([TINY]) + op(0, UNAUTH_ALLOCATE) +
                                b"".join(signed(S_ALLOCATE, F_UDP) for _ in range(4)) +
                                b"".join(op((i << 3) | 0, BINDING_REQ) for i in range(8)) +
                                b"".join(op((i << 3) | 1, BINDING_REQ[:10]) for i in range(4)))
    out["bandwidth_cap"] = (allocated(BANDWIDTH) + signed(S_CHANNEL, F_CHANNEL | peer_flag(0)) +
                            b"".join(op(7, b"\xab" * 900) for _ in range(4)) + TIME_1S + op(7, b"\xab" * 900))
    out["expiry"] = base + signed(S_PERMISSION, peer_flag(0)) + TIME_10MIN + TIME_10MIN
    out["stale_nonce"] = base + TIME_10MIN + TIME_10MIN + signed(S_REFRESH, 0) + signed(S_REFRESH, 0)
    out["other_source"] = base + op((7 << 3) | 3, bytes([S_REFRESH, 0, 0]))
    out["tcp_allocation"] = (b"\0" + op(1, UNAUTH_ALLOCATE) + op(1, channel_data(0x4000, b"abc", True)) +
                             op(1, BINDING_REQ + BINDING_REQ))
    out["send_indication_unauth"] = b"\0" + op(0, stun(INDICATION, SEND, attr(0x0012, b"\0\x01\x1b\x58\x7c\xb8\xd8\x22")
                                                    + attr(0x0013, b"data")))
    out["icmp"] = base + signed(S_PERMISSION, peer_flag(0)) + op(5, bytes([0, 2, 3, 4])) + op(5, bytes([0, 2, 5, 0]))
    out["unknown_attribute"] = base + signed(S_REFRESH, 0, 0, struct.pack(">HH", 0x7F01, 4) + b"abcd")
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.normpath(os.path.join(here, "..", "..", "..", "fuzz", "corpus", "turn_server"))
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=default)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(args.out, name + ".bin"), "wb") as f:
            f.write(data)
    print(f"wrote {len(seeds())} seeds to {args.out}")


if __name__ == "__main__":
    main()
