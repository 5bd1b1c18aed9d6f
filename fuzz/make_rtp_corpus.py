#!/usr/bin/env python3
"""Writes the seed corpora of tern's RTP/RTCP fuzzers: fuzz/corpus/rtp_packet, fuzz/corpus/rtcp_compound
and fuzz/corpus/twcc_feedback.

RTP per RFC 3550 §5.1/§5.3.1 with RFC 8285 header extensions (one-byte and two-byte forms); RTCP per
RFC 3550 §6 (SR, RR, SDES, BYE, APP), RFC 3611 (XR: RRTR, DLRR), RFC 4585 (generic NACK, PLI),
RFC 5104 (FIR), draft-alvestrand-rmcat-remb (REMB) and draft-holmer-rmcat-transport-wide-cc-extensions-01
(transport-cc feedback). The encoders here are independent of tern's builders on purpose; the
transport-cc encoder is checked first against the packet decoded by hand in
tests/unit/rtp/transport_feedback_test.cc.

Usage: make_rtp_corpus.py [--out DIR] [--check]
  --out DIR   write into DIR/rtp_packet, DIR/rtcp_compound and DIR/twcc_feedback (default: the corpus/
              next to this file)
  --check     write nothing; exit 1 if a committed seed differs from what this script generates
Only the files this script names are written; other files (e.g. regression seeds) are left alone.
"""

import argparse
import os
import struct
import sys

# --- RTP ------------------------------------------------------------------------------------------


def rtp(pt=96, seq=1, ts=0, ssrc=0x11223344, marker=False, csrcs=(), ext=None, payload=b"", padding=0,
        version=2):
    """ext: None, or (profile, body bytes) with body a multiple of 4."""
    b0 = (version << 6) | (0x20 if padding else 0) | (0x10 if ext is not None else 0) | len(csrcs)
    out = struct.pack("!BBHII", b0, (0x80 if marker else 0) | pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
    for c in csrcs:
        out += struct.pack("!I", c)
    if ext is not None:
        profile, body = ext
        assert len(body) % 4 == 0
        out += struct.pack("!HH", profile, len(body) // 4) + body
    out += payload
    if padding:
        out += b"\0" * (padding - 1) + bytes([padding])
    return out


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def one_byte(elements, padding_between=0):
    body = b""
    for ident, data in elements:
        assert 1 <= ident <= 14 and 1 <= len(data) <= 16
        body += bytes([(ident << 4) | (len(data) - 1)]) + data + b"\0" * padding_between
    return (0xBEDE, pad4(body))


def two_byte(elements, app_bits=0):
    body = b""
    for ident, data in elements:
        body += bytes([ident, len(data)]) + data
    return (0x1000 | app_bits, pad4(body))


def rtp_seeds():
    seeds = {}
    seeds["minimal.bin"] = rtp(marker=True, seq=0x1234, ts=0x0A0B0C0D, ssrc=0xDEADBEEF, payload=b"hi")
    seeds["csrcs_raw_ext_padding.bin"] = rtp(pt=111, seq=0xFFFE, ts=0xFFFFFFFF, ssrc=0x01020304,
                                             csrcs=(0x11111111, 0x22222222), ext=(0xABCD, b"\x01\x02\x03\x04"),
                                             payload=b"\xaa\xbb\xcc", padding=3)
    # RFC 8285 §4.2 and §4.3 examples.
    seeds["rfc8285_one_byte.bin"] = rtp(marker=True, ext=(0xBEDE, bytes.fromhex("10aa21bbbb000033cccccccc")),
                                        payload=b"\x98")
    seeds["rfc8285_two_byte.bin"] = rtp(ext=(0x1000, bytes.fromhex("0100020142000304 11223344".replace(" ", ""))))
    # A video packet as BM_RtpParse sees it: abs-send-time (id 3) and transport-wide seq (id 5).
    seeds["video_1200.bin"] = rtp(pt=96, seq=4321, ts=90000, marker=True,
                                  ext=one_byte([(3, b"\x12\x34\x56"), (5, b"\x00\x2a")]),
                                  payload=bytes(i * 7 & 0xFF for i in range(1200 - 24)))
    # Audio: ssrc-audio-level (id 1), mid (id 4), rid (id 10), playout-delay (id 6), orientation (id 7).
    seeds["audio_ext.bin"] = rtp(pt=111, seq=7, ts=960,
                                 ext=one_byte([(1, b"\x9e"), (4, b"0"), (10, b"hi-res"), (6, b"\x00\xa0\xc8"),
                                               (7, b"\x0f")], padding_between=1),
                                 payload=b"\xfc" * 40)
    seeds["two_byte_long.bin"] = rtp(ext=two_byte([(15, b"\x01"), (200, bytes(range(40))), (1, b""),
                                                   (11, b"a-much-longer-rid-than-16")], app_bits=5),
                                     payload=b"\x01\x02")
    seeds["one_byte_id15.bin"] = rtp(ext=(0xBEDE, bytes.fromhex("10aaf5ffffffffff")), payload=b"\x00")
    seeds["probe_padding.bin"] = rtp(padding=255)
    seeds["padding_with_ext.bin"] = rtp(ext=one_byte([(2, b"\x01\x02")]), payload=b"x" * 17, padding=7)
    seeds["fifteen_csrcs.bin"] = rtp(csrcs=tuple(range(1, 16)), payload=b"\x55" * 8)
    # Malformed: each must be refused.
    seeds["bad_version.bin"] = rtp(version=1, payload=b"hi")
    seeds["bad_padding_zero.bin"] = bytes([0xA0]) + rtp(payload=b"ab\x00")[1:]
    seeds["bad_padding_large.bin"] = bytes([0xA0]) + rtp(payload=b"ab\x09")[1:]
    seeds["bad_ext_length.bin"] = rtp(ext=(0xBEDE, b"\x10\xaa\x00\x00"))[:-2]
    seeds["bad_ext_element.bin"] = rtp(ext=(0xBEDE, b"\x13\xaa\xbb\xcc"))
    seeds["bad_ext_nonzero_pad.bin"] = rtp(ext=(0xBEDE, b"\x05\x00\x00\x00"))
    seeds["truncated_csrc.bin"] = rtp(csrcs=(1, 2))[:18]
    return seeds


# --- RTCP -----------------------------------------------------------------------------------------


def rtcp(pt, count, body, padding=0):
    assert len(body) % 4 == 0 and padding % 4 == 0
    total = 4 + len(body) + padding
    out = struct.pack("!BBH", 0x80 | (0x20 if padding else 0) | count, pt, total // 4 - 1) + body
    if padding:
        out += b"\0" * (padding - 1) + bytes([padding])
    return out


def report_block(ssrc, fraction, lost, highest, jitter, lsr, dlsr):
    return struct.pack("!IB", ssrc, fraction) + (lost & 0xFFFFFF).to_bytes(3, "big") + struct.pack(
        "!IIII", highest, jitter, lsr, dlsr)


def sr(ssrc, ntp, rtp_ts, packets, octets, blocks=()):
    return rtcp(200, len(blocks), struct.pack("!IQIII", ssrc, ntp, rtp_ts, packets, octets) + b"".join(blocks))


def rr(ssrc, blocks=(), ext=b""):
    return rtcp(201, len(blocks), struct.pack("!I", ssrc) + b"".join(blocks) + ext)


def sdes(chunks):
    body = b""
    for ssrc, items in chunks:
        chunk = struct.pack("!I", ssrc)
        item_bytes = b"".join(bytes([t, len(v)]) + v for t, v in items)
        chunk += item_bytes + b"\0" * (4 - len(item_bytes) % 4)
        body += chunk
    return rtcp(202, len(chunks), body)


def bye(ssrcs, reason=None):
    body = b"".join(struct.pack("!I", s) for s in ssrcs)
    if reason is not None:
        body += pad4(bytes([len(reason)]) + reason)
    return rtcp(203, len(ssrcs), body)


def app(subtype, ssrc, name, data):
    return rtcp(204, subtype, struct.pack("!I", ssrc) + name + data)


def xr(ssrc, blocks):
    body = struct.pack("!I", ssrc)
    for bt, specific, contents in blocks:
        body += struct.pack("!BBH", bt, specific, len(contents) // 4) + contents
    return rtcp(207, 0, body)


def nack(sender, media, items):
    return rtcp(205, 1, struct.pack("!II", sender, media) + b"".join(struct.pack("!HH", p, b) for p, b in items))


def pli(sender, media):
    return rtcp(206, 1, struct.pack("!II", sender, media))


def fir(sender, entries):
    return rtcp(206, 4, struct.pack("!II", sender, 0) + b"".join(struct.pack("!IB3x", s, n) for s, n in entries))


def remb(sender, bitrate, ssrcs):
    exp = 0
    mantissa = bitrate
    while mantissa > 0x3FFFF:
        mantissa >>= 1
        exp += 1
    fci = b"REMB" + bytes([len(ssrcs)]) + ((exp << 18) | mantissa).to_bytes(3, "big")
    fci += b"".join(struct.pack("!I", s) for s in ssrcs)
    return rtcp(206, 15, struct.pack("!II", sender, 0) + fci)


# --- Transport-wide CC feedback -------------------------------------------------------------------


def twcc_body(sender, media, base, ref_time, fb_count, results):
    """results: list of None (not received) or delta ticks. Chunks: a run-length chunk for runs of 7 or
    more equal symbols, otherwise two-bit vectors of 7 (a simple encoder, different from tern's)."""
    def symbol(r):
        if r is None:
            return 0
        return 1 if 0 <= r <= 255 else 2

    symbols = [symbol(r) for r in results]
    chunks = b""
    i = 0
    while i < len(symbols):
        run = 1
        while i + run < len(symbols) and run < 0x1FFF and symbols[i + run] == symbols[i]:
            run += 1
        if run >= 7:
            chunks += struct.pack("!H", (symbols[i] << 13) | run)
            i += run
            continue
        chunk = 0xC000
        for k in range(7):
            if i + k < len(symbols):
                chunk |= symbols[i + k] << (12 - 2 * k)
        chunks += struct.pack("!H", chunk)
        i += 7
    deltas = b""
    for r in results:
        if r is None:
            continue
        deltas += bytes([r]) if 0 <= r <= 255 else struct.pack("!h", r)
    body = struct.pack("!IIHH", sender, media, base, len(results)) + (ref_time & 0xFFFFFF).to_bytes(3, "big")
    body += bytes([fb_count]) + chunks + deltas
    return pad4(body)


def twcc(sender, media, base, ref_time, fb_count, results):
    return rtcp(205, 15, twcc_body(sender, media, base, ref_time, fb_count, results))


# The hand-decoded packet of tests/unit/rtp/transport_feedback_test.cc, with its own chunks.
HAND_DECODED_TWCC = bytes.fromhex(
    "8fcd000b" "01020304" "0a0b0c0d" "00640014" "12345607" "200a" "c919" "a800"
    "10141414141414141414" "fffc" "08" "ff" "012c" "00" "01" "02" "000000")
HAND_RESULTS = [16] + [20] * 9 + [None, -4, 8, None, 255, 300, 0, 1, None, 2]


def check_twcc_encoder():
    # Same header and deltas as the hand-decoded packet; only the chunk choice differs (this encoder
    # writes 10 received as a run, then 2-bit vectors), so compare the fields around it.
    mine = twcc(0x01020304, 0x0A0B0C0D, 100, 0x123456, 7, HAND_RESULTS)
    assert mine[:20] == HAND_DECODED_TWCC[:20], "transport-cc header encoder disagrees with the hand-decoded packet"
    assert mine[20:22] == HAND_DECODED_TWCC[20:22], "run-length chunk encoder disagrees"
    deltas = bytes.fromhex("10141414141414141414fffc08ff012c000102")
    assert deltas in mine, "receive delta encoder disagrees"


def twcc_patterns():
    import random
    rng = random.Random(20240611)
    out = {}
    out["all_received_small.bin"] = (1000, [4] * 50)
    out["with_losses.bin"] = (65530, [None if i % 5 == 0 else (i * 3) % 256 for i in range(60)])
    out["large_and_negative.bin"] = (7, [300, -20, 0, 255, 256, -32768, 32767, None, 1])
    out["long_loss_run.bin"] = (0, [5] + [None] * 9000 + [7])
    out["single.bin"] = (42, [0])
    out["single_lost.bin"] = (42, [None, 3])
    out["random.bin"] = (rng.randrange(65536), [None if rng.random() < 0.1 else rng.randrange(-300, 300)
                                              for _ in range(200)])
    return out


def rtcp_seeds():
    seeds = {}
    blk = report_block(0x55667788, 64, -2, 0x1FFFF, 32, 0x456789AB, 0x10000)
    cname = sdes([(0x11223344, [(1, b"tern-cn1")])])
    seeds["sr_sdes.bin"] = sr(0x11223344, 0xE123456789ABCDEF, 0x10000, 16, 1024, [blk]) + cname
    seeds["rr_sdes_bye.bin"] = rr(0x11223344, [blk, blk]) + cname + bye([0x11223344], b"bye!")
    seeds["rr_empty.bin"] = rr(1)
    seeds["rr_profile_ext.bin"] = rr(1, [blk], b"\x01\x02\x03\x04")
    seeds["sdes_many.bin"] = rr(1) + sdes([(1, [(1, b"a@example.org"), (6, b"tern"), (7, b"")]), (2, []),
                                           (3, [(2, b"x"), (8, b"\x03abcvalue")]), (4, [(5, b"z" * 255)])])
    seeds["bye_no_reason.bin"] = rr(1) + bye([1, 2, 3])
    seeds["bye_empty_reason.bin"] = rr(1) + bye([], b"")
    seeds["app.bin"] = rr(1) + app(3, 0x11223344, b"TERN", b"\xde\xad\xbe\xef")
    seeds["xr.bin"] = rr(1) + xr(0x11223344, [(4, 0, struct.pack("!Q", 0xE123456789ABCDEF)),
                                              (5, 0, struct.pack("!III", 0x55667788, 0x12345678, 0x8000)),
                                              (42, 7, b"\xca\xfe\xba\xbe")])
    seeds["nack_reduced.bin"] = nack(0x11223344, 0x55667788, [(100, 5), (200, 0), (65535, 1)])
    seeds["pli_reduced.bin"] = pli(0x11223344, 0x55667788)
    seeds["fir.bin"] = rr(1) + fir(0x11223344, [(0x55667788, 7), (1, 255)])
    seeds["remb.bin"] = rr(1) + remb(0x11223344, 1000000, [0x55667788, 0x99AABBCC])
    seeds["twcc_hand.bin"] = HAND_DECODED_TWCC
    for name, (base, results) in twcc_patterns().items():
        seeds["twcc_" + name] = twcc(0x01020304, 0x0A0B0C0D, base, 0x123456, 9, results)
    # The compound BM_RtcpCompoundParse reads: SR + SDES CNAME + transport-cc (~50 packets) + NACK.
    seeds["bench_compound.bin"] = (sr(0x11223344, 0xE123456789ABCDEF, 0x10000, 16, 1024, [blk]) + cname +
                                   twcc(0x11223344, 0x55667788, 1000,
                                        0x1234, 3, [None if i in (7, 23, 24) else (i * 13) % 90 for i in range(50)]) +
                                   nack(0x11223344, 0x55667788, [(500, 0x8001)]))
    seeds["unknown_type.bin"] = rr(1) + rtcp(210, 5, b"\x01\x02\x03\x04")
    seeds["padded_last.bin"] = rr(1) + rtcp(202, 1, struct.pack("!I", 1) + b"\x01\x01x\x00", padding=8)
    seeds["afb_not_remb.bin"] = rr(1) + rtcp(206, 15, struct.pack("!II", 1, 0) + b"ABCD")
    # Malformed: each must be refused.
    seeds["bad_first_not_sr_rr.bin"] = cname + rr(1)
    seeds["bad_padding_not_last.bin"] = rtcp(201, 0, struct.pack("!I", 1), padding=4) + cname
    seeds["bad_length.bin"] = rr(1)[:4] + b"\x00\x05" + rr(1)[6:]
    seeds["bad_version.bin"] = bytes([0x40]) + rr(1)[1:]
    seeds["bad_sdes.bin"] = rr(1) + rtcp(202, 1, struct.pack("!I", 1) + b"\x01\x08ab")
    seeds["bad_twcc_count.bin"] = rtcp(205, 15, struct.pack("!IIHH", 1, 2, 100, 20) + b"\x00\x00\x01\x07" +
                                       b"\x20\x0a\x00\x00")
    return seeds


def twcc_seeds():
    seeds = {}
    seeds["hand_decoded.bin"] = HAND_DECODED_TWCC[4:]
    for name, (base, results) in twcc_patterns().items():
        seeds[name] = twcc_body(0x01020304, 0x0A0B0C0D, base, 0x123456, 9, results)
    seeds["negative_reference.bin"] = twcc_body(1, 2, 3, -2, 0, [1, 2, None, 3])
    # Bodies that are not multiples of 4 exercise the harness's framing with RTCP padding.
    seeds["unpadded.bin"] = twcc_body(1, 2, 3, 4, 5, [1])[:19]
    seeds["bad_reserved_symbol.bin"] = struct.pack("!IIHH", 1, 2, 3, 1) + b"\x00\x00\x01\x00" + b"\x60\x01\x00\x00"
    seeds["bad_truncated_deltas.bin"] = struct.pack("!IIHH", 1, 2, 3, 2) + b"\x00\x00\x01\x00" + b"\x40\x02\x01"
    return seeds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus"))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    check_twcc_encoder()
    corpora = {"rtp_packet": rtp_seeds(), "rtcp_compound": rtcp_seeds(), "twcc_feedback": twcc_seeds()}
    differ = []
    for corpus, seeds in corpora.items():
        folder = os.path.join(args.out, corpus)
        if not args.check:
            os.makedirs(folder, exist_ok=True)
        for name, data in sorted(seeds.items()):
            path = os.path.join(folder, name)
            if args.check:
                try:
                    with open(path, "rb") as f:
                        if f.read() != data:
                            differ.append(path)
                except OSError:
                    differ.append(path)
                continue
            with open(path, "wb") as f:
                f.write(data)
    if differ:
        print("differs from make_rtp_corpus.py:", *differ, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
