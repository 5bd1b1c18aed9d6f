#!/usr/bin/env python3
"""Writes the seed corpora of tern's STUN fuzzers (fuzz/corpus/stun_message, fuzz/corpus/channel_data)
and their libFuzzer dictionary (fuzz/stun.dict).

STUN/TURN messages per RFC 8489 §5-§6 and §14, RFC 8656 (TURN), RFC 5780 (NAT behaviour discovery),
RFC 6062 (TURN-TCP) and RFC 8445 (ICE attributes); ChannelData per RFC 8656 §12.4-§12.5.

The encoder here is independent of tern's own MessageBuilder on purpose: before writing anything it
reproduces the four RFC 5769 test vectors byte for byte, so the seeds (and the integrity/fingerprint
values inside them) are checked against the published bytes, not against the code under test.

Integrity uses the credentials the fuzz harness knows (stun_message_fuzzer.cc): the RFC 5769 short-term
password and the RFC 5769 §2.4 long-term user/realm/password, with MD5 and SHA-256 keys.

Usage: make_corpus.py [--out DIR] [--check]
  --out DIR   write into DIR/stun_message and DIR/channel_data (default: the corpus/ next to this file)
              and DIR/../stun.dict
  --check     write nothing; exit 1 if a committed seed or the dictionary differs from what this
              script generates
Only the files this script names are written; other files in the corpus (e.g. regression seeds kept
from fuzzer findings) are left alone.
"""

import argparse
import hashlib
import hmac
import ipaddress
import os
import struct
import sys
import zlib

MAGIC_COOKIE = 0x2112A442
FINGERPRINT_XOR = 0x5354554E

# Classes (RFC 8489 §5).
REQUEST, INDICATION, SUCCESS, ERROR = 0, 1, 2, 3

# Methods.
BINDING = 0x001
ALLOCATE = 0x003
REFRESH = 0x004
SEND = 0x006
DATA = 0x007
CREATE_PERMISSION = 0x008
CHANNEL_BIND = 0x009
CONNECT = 0x00A
CONNECTION_BIND = 0x00B
CONNECTION_ATTEMPT = 0x00C

# Attribute types.
MAPPED_ADDRESS = 0x0001
CHANGE_REQUEST = 0x0003
USERNAME = 0x0006
MESSAGE_INTEGRITY = 0x0008
ERROR_CODE = 0x0009
UNKNOWN_ATTRIBUTES = 0x000A
CHANNEL_NUMBER = 0x000C
LIFETIME = 0x000D
XOR_PEER_ADDRESS = 0x0012
DATA_ATTR = 0x0013
REALM = 0x0014
NONCE = 0x0015
XOR_RELAYED_ADDRESS = 0x0016
REQUESTED_ADDRESS_FAMILY = 0x0017
EVEN_PORT = 0x0018
REQUESTED_TRANSPORT = 0x0019
DONT_FRAGMENT = 0x001A
MESSAGE_INTEGRITY_SHA256 = 0x001C
PASSWORD_ALGORITHM = 0x001D
USERHASH = 0x001E
XOR_MAPPED_ADDRESS = 0x0020
RESERVATION_TOKEN = 0x0022
PRIORITY = 0x0024
USE_CANDIDATE = 0x0025
PADDING = 0x0026
RESPONSE_PORT = 0x0027
CONNECTION_ID = 0x002A
ADDITIONAL_ADDRESS_FAMILY = 0x8000
ADDRESS_ERROR_CODE = 0x8001
PASSWORD_ALGORITHMS = 0x8002
ALTERNATE_DOMAIN = 0x8003
ICMP = 0x8004
SOFTWARE = 0x8022
ALTERNATE_SERVER = 0x8023
FINGERPRINT = 0x8028
ICE_CONTROLLED = 0x8029
ICE_CONTROLLING = 0x802A
RESPONSE_ORIGIN = 0x802B
OTHER_ADDRESS = 0x802C

# Credentials shared with stun_message_fuzzer.cc (RFC 5769 §2.1-§2.4).
SHORT_TERM_PASSWORD = b"VOkJxbRl1RmTxUk/WvJxBt"
LT_USERNAME = "\u30de\u30c8\u30ea\u30c3\u30af\u30b9".encode()  # "マトリックス"
LT_REALM = b"example.org"
LT_PASSWORD = b"TheMatrIX"
LT_NONCE = b"f//499k954d6OL34oL9FSTvy64sA"
LT_KEY_MD5 = hashlib.md5(LT_USERNAME + b":" + LT_REALM + b":" + LT_PASSWORD).digest()
LT_KEY_SHA256 = hashlib.sha256(LT_USERNAME + b":" + LT_REALM + b":" + LT_PASSWORD).digest()


def message_type(cls, method):
    return ((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2)
            | ((cls & 1) << 4) | ((cls & 2) << 7))


def attribute(attr_type, value, pad=b"\x00"):
    padding = (4 - len(value) % 4) % 4
    return struct.pack(">HH", attr_type, len(value)) + value + pad * padding


class Message:
    """A STUN message under construction: raw attributes, then the RFC 8489 trailer attributes."""

    def __init__(self, cls, method, tid):
        assert len(tid) == 12
        self.type = message_type(cls, method)
        self.tid = tid
        self.body = b""

    def header(self, length):
        return struct.pack(">HHI", self.type, length, MAGIC_COOKIE) + self.tid

    def add(self, attr_type, value, pad=b"\x00"):
        self.body += attribute(attr_type, value, pad)
        return self

    def text(self, attr_type, s, pad=b"\x00"):
        return self.add(attr_type, s.encode() if isinstance(s, str) else s, pad)

    def u32(self, attr_type, v):
        return self.add(attr_type, struct.pack(">I", v))

    def u64(self, attr_type, v):
        return self.add(attr_type, struct.pack(">Q", v))

    def address(self, attr_type, host, port):
        ip = ipaddress.ip_address(host)
        family = 1 if ip.version == 4 else 2
        return self.add(attr_type, struct.pack(">BBH", 0, family, port) + ip.packed)

    def xor_address(self, attr_type, host, port):
        ip = ipaddress.ip_address(host)
        family = 1 if ip.version == 4 else 2
        mask = struct.pack(">I", MAGIC_COOKIE) + self.tid
        xored = bytes(b ^ mask[i] for i, b in enumerate(ip.packed))
        return self.add(attr_type, struct.pack(">BBH", 0, family, port ^ (MAGIC_COOKIE >> 16)) + xored)

    def error_code(self, code, reason):
        return self.add(ERROR_CODE, struct.pack(">HBB", 0, code // 100, code % 100) + reason.encode())

    def address_error_code(self, family, code, reason):
        return self.add(ADDRESS_ERROR_CODE,
                        struct.pack(">BBBB", family, 0, code // 100, code % 100) + reason.encode())

    def unknown_attributes(self, types):
        return self.add(UNKNOWN_ATTRIBUTES, b"".join(struct.pack(">H", t) for t in types))

    def password_algorithms(self, algorithms):
        value = b""
        for number, params in algorithms:
            value += struct.pack(">HH", number, len(params)) + params
            value += b"\x00" * ((4 - len(params) % 4) % 4)
        return self.add(PASSWORD_ALGORITHMS, value)

    def finish(self, integrity=None, integrity_sha256=None, sha256_size=32, fingerprint=False):
        body = self.body
        if integrity is not None:
            mac = hmac.new(integrity, self.header(len(body) + 24) + body, hashlib.sha1).digest()
            body += attribute(MESSAGE_INTEGRITY, mac)
        if integrity_sha256 is not None:
            mac = hmac.new(integrity_sha256, self.header(len(body) + 4 + sha256_size) + body,
                           hashlib.sha256).digest()[:sha256_size]
            body += attribute(MESSAGE_INTEGRITY_SHA256, mac)
        if fingerprint:
            crc = zlib.crc32(self.header(len(body) + 8) + body) ^ FINGERPRINT_XOR
            body += attribute(FINGERPRINT, struct.pack(">I", crc))
        return self.header(len(body)) + body


def tid(n):
    """A fixed transaction id per seed, so the generated files are reproducible."""
    return hashlib.sha256(b"tern-fuzz-seed-%d" % n).digest()[:12]


# --- RFC 5769 ---------------------------------------------------------------------------------

RFC5769_TID = bytes.fromhex("b7e7a701bc34d686fa87dfae")
RFC5769 = {
    "rfc5769_2_1_request": (
        "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74"
        "002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020"
        "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf"),
    "rfc5769_2_2_response_ipv4": (
        "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220"
        "002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
        "80280004c07d4c96"),
    "rfc5769_2_3_response_ipv6": (
        "010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220"
        "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d900080014a382954e4be67bf1"
        "1784c97c8292c275bfe3ed4180280004c8fb0b4c"),
    "rfc5769_2_4_request_long_term": (
        "000100602112a44278ad3433c6ad72c029da412e00060012e3839ee38388e383aae38383"
        "e382afe382b900000015001c662f2f3439396b39353464364f4c33346f4c394653547679"
        "363473410014000b6578616d706c652e6f72670000080014f67024656dd64a3e02b8e071"
        "2e85c9a28ca89666"),
}


def rfc5769_encoded():
    """Our encoder's version of the four vectors; must equal the published bytes."""
    out = {}
    m = Message(REQUEST, BINDING, RFC5769_TID)
    m.text(SOFTWARE, "STUN test client").u32(PRIORITY, 0x6E0001FF)
    m.u64(ICE_CONTROLLED, 0x932FF9B151263B36).text(USERNAME, "evtj:h6vY", pad=b" ")
    out["rfc5769_2_1_request"] = m.finish(integrity=SHORT_TERM_PASSWORD, fingerprint=True)
    m = Message(SUCCESS, BINDING, RFC5769_TID)
    m.text(SOFTWARE, "test vector", pad=b" ").xor_address(XOR_MAPPED_ADDRESS, "192.0.2.1", 32853)
    out["rfc5769_2_2_response_ipv4"] = m.finish(integrity=SHORT_TERM_PASSWORD, fingerprint=True)
    m = Message(SUCCESS, BINDING, RFC5769_TID)
    m.text(SOFTWARE, "test vector", pad=b" ")
    m.xor_address(XOR_MAPPED_ADDRESS, "2001:db8:1234:5678:11:2233:4455:6677", 32853)
    out["rfc5769_2_3_response_ipv6"] = m.finish(integrity=SHORT_TERM_PASSWORD, fingerprint=True)
    m = Message(REQUEST, BINDING, bytes.fromhex("78ad3433c6ad72c029da412e"))
    m.text(USERNAME, LT_USERNAME).text(NONCE, LT_NONCE).text(REALM, LT_REALM)
    out["rfc5769_2_4_request_long_term"] = m.finish(integrity=LT_KEY_MD5)
    return out


def check_rfc5769():
    ours = rfc5769_encoded()
    for name, published in RFC5769.items():
        if ours[name] != bytes.fromhex(published):
            sys.exit("make_corpus.py: encoder disagrees with RFC 5769 vector %s:\n  ours %s\n  rfc  %s"
                     % (name, ours[name].hex(), published))


# --- STUN / TURN seeds --------------------------------------------------------------------------

ST = SHORT_TERM_PASSWORD
NONCE_WITH_COOKIE = b"obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA"  # RFC 8489 §B.1 (both features)


def turn_auth(m):
    return m.text(USERNAME, LT_USERNAME).text(REALM, LT_REALM).text(NONCE, LT_NONCE)


def stun_seeds():
    seeds = {}
    for name, hexbytes in RFC5769.items():
        seeds[name] = bytes.fromhex(hexbytes)

    # Binding (RFC 8489, ICE RFC 8445).
    seeds["binding_request_empty"] = Message(REQUEST, BINDING, tid(1)).finish()
    seeds["binding_request_fingerprint"] = Message(REQUEST, BINDING, tid(2)).finish(fingerprint=True)
    m = Message(REQUEST, BINDING, tid(3))
    m.text(USERNAME, "a1b2:c3d4").u32(PRIORITY, 0x6E7F1EFF).u64(ICE_CONTROLLING, 0x0123456789ABCDEF)
    m.add(USE_CANDIDATE, b"")
    seeds["binding_request_ice_controlling"] = m.finish(integrity=ST, fingerprint=True)
    m = Message(REQUEST, BINDING, tid(4))
    m.text(USERNAME, "c3d4:a1b2").u32(PRIORITY, 0x7E7F00FF).u64(ICE_CONTROLLED, 0xFEDCBA9876543210)
    seeds["binding_request_ice_sha256"] = m.finish(integrity=ST, integrity_sha256=ST,
                                                   fingerprint=True)
    m = Message(REQUEST, BINDING, tid(5))
    m.text(USERNAME, "c3d4:a1b2").u32(PRIORITY, 1)
    seeds["binding_request_sha256_truncated"] = m.finish(integrity_sha256=ST, sha256_size=16)
    m = Message(SUCCESS, BINDING, tid(6)).xor_address(XOR_MAPPED_ADDRESS, "203.0.113.5", 54321)
    seeds["binding_success_xor_v4"] = m.finish()
    m = Message(SUCCESS, BINDING, tid(7)).xor_address(XOR_MAPPED_ADDRESS, "2001:db8::1", 40000)
    seeds["binding_success_xor_v6_integrity"] = m.finish(integrity=ST, fingerprint=True)
    m = Message(SUCCESS, BINDING, tid(8)).address(MAPPED_ADDRESS, "198.51.100.7", 3478)
    m.text(SOFTWARE, "tern seed 1.0")
    seeds["binding_success_mapped_address"] = m.finish(fingerprint=True)
    m = Message(ERROR, BINDING, tid(9)).error_code(487, "Role Conflict")
    seeds["binding_error_487_role_conflict"] = m.finish(integrity=ST, fingerprint=True)
    seeds["binding_indication_keepalive"] = Message(INDICATION, BINDING, tid(10)).finish(
        fingerprint=True)
    m = Message(ERROR, BINDING, tid(11)).error_code(400, "Bad Request")
    seeds["binding_error_400"] = m.finish()

    # Unknown attributes and 420 (RFC 8489 §7.3.1, §14.9).
    m = Message(REQUEST, BINDING, tid(12))
    m.add(0x07AD, b"\x01\x02\x03\x04").add(CHANNEL_NUMBER, b"\x40\x00\x00\x00")
    m.add(0x7FFF, b"\x00" * 5).add(0xC001, b"opt")
    seeds["binding_request_unknown_required"] = m.finish(fingerprint=True)
    m = Message(ERROR, BINDING, tid(13)).error_code(420, "Unknown Attribute")
    m.unknown_attributes([0x07AD, 0x7FFF])
    seeds["binding_error_420_unknown_attributes"] = m.finish(fingerprint=True)
    m = Message(ERROR, BINDING, tid(14)).error_code(420, "Unknown Attribute")
    m.unknown_attributes([0x0031])  # odd count: value padded to 4
    seeds["binding_error_420_one_unknown"] = m.finish()
    m = Message(ERROR, ALLOCATE, tid(15)).error_code(300, "Try Alternate")
    m.address(ALTERNATE_SERVER, "192.0.2.10", 3478).text(ALTERNATE_DOMAIN, "turn2.example.org")
    seeds["allocate_error_300_try_alternate"] = m.finish(fingerprint=True)

    # TURN Allocate (RFC 8656 §7).
    m = Message(REQUEST, ALLOCATE, tid(20))
    m.add(REQUESTED_TRANSPORT, bytes([17, 0, 0, 0])).u32(LIFETIME, 3600).add(DONT_FRAGMENT, b"")
    m.text(SOFTWARE, "tern seed client")
    seeds["allocate_request_unauthenticated"] = m.finish(fingerprint=True)
    m = Message(ERROR, ALLOCATE, tid(20)).error_code(401, "Unauthenticated")
    m.text(REALM, LT_REALM).text(NONCE, NONCE_WITH_COOKIE)
    m.password_algorithms([(2, b""), (1, b"")]).text(SOFTWARE, "tern seed server")
    seeds["allocate_error_401_realm_nonce"] = m.finish(fingerprint=True)
    m = Message(REQUEST, ALLOCATE, tid(21))
    turn_auth(m).add(REQUESTED_TRANSPORT, bytes([17, 0, 0, 0])).add(EVEN_PORT, b"\x80")
    seeds["allocate_request_md5_even_port"] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)
    m = Message(REQUEST, ALLOCATE, tid(22))
    m.add(USERHASH, hashlib.sha256(LT_USERNAME + b":" + LT_REALM).digest())
    m.text(REALM, LT_REALM).text(NONCE, NONCE_WITH_COOKIE)
    m.add(PASSWORD_ALGORITHM, struct.pack(">HH", 2, 0)).password_algorithms([(2, b""), (1, b"")])
    m.add(REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))
    seeds["allocate_request_sha256_userhash"] = m.finish(integrity_sha256=LT_KEY_SHA256,
                                                         fingerprint=True)
    m = Message(REQUEST, ALLOCATE, tid(23))
    turn_auth(m).add(REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))
    m.add(REQUESTED_ADDRESS_FAMILY, b"\x02\x00\x00\x00")
    seeds["allocate_request_ipv6"] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)
    m = Message(REQUEST, ALLOCATE, tid(24))
    turn_auth(m).add(REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))
    m.add(ADDITIONAL_ADDRESS_FAMILY, b"\x02\x00\x00\x00")
    seeds["allocate_request_dual_stack"] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)
    m = Message(REQUEST, ALLOCATE, tid(25))
    turn_auth(m).add(REQUESTED_TRANSPORT, bytes([17, 0, 0, 0])).u64(RESERVATION_TOKEN, 0x1122334455667788)
    seeds["allocate_request_reservation_token"] = m.finish(integrity=LT_KEY_MD5)
    m = Message(SUCCESS, ALLOCATE, tid(21))
    m.xor_address(XOR_RELAYED_ADDRESS, "192.0.2.15", 50000)
    m.xor_address(XOR_MAPPED_ADDRESS, "192.0.2.1", 7000).u32(LIFETIME, 600)
    m.u64(RESERVATION_TOKEN, 0xA1B2C3D4E5F60718).text(SOFTWARE, "tern seed server")
    seeds["allocate_success"] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)
    m = Message(SUCCESS, ALLOCATE, tid(24))  # RFC 8656 §7.3: two XOR-RELAYED-ADDRESS
    m.xor_address(XOR_RELAYED_ADDRESS, "192.0.2.15", 50000)
    m.xor_address(XOR_RELAYED_ADDRESS, "2001:db8::15", 50002)
    m.xor_address(XOR_MAPPED_ADDRESS, "192.0.2.1", 7000).u32(LIFETIME, 600)
    seeds["allocate_success_dual_stack"] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)
    m = Message(SUCCESS, ALLOCATE, tid(24))
    m.xor_address(XOR_RELAYED_ADDRESS, "192.0.2.15", 50000)
    m.address_error_code(2, 440, "Address Family not Supported")
    m.xor_address(XOR_MAPPED_ADDRESS, "192.0.2.1", 7000).u32(LIFETIME, 600)
    seeds["allocate_success_address_error_code"] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)
    for i, (code, reason) in enumerate([(437, "Allocation Mismatch"), (440, "Address Family not Supported"),
                                        (442, "Unsupported Transport Protocol"),
                                        (486, "Allocation Quota Reached"),
                                        (508, "Insufficient Capacity")]):
        m = Message(ERROR, ALLOCATE, tid(30 + i)).error_code(code, reason)
        seeds["allocate_error_%d" % code] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)

    # Refresh (§8).
    m = Message(REQUEST, REFRESH, tid(40))
    turn_auth(m).u32(LIFETIME, 0)
    seeds["refresh_request_delete"] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)
    m = Message(SUCCESS, REFRESH, tid(40)).u32(LIFETIME, 0)
    seeds["refresh_success"] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)
    m = Message(ERROR, REFRESH, tid(41)).error_code(438, "Stale Nonce")
    m.text(REALM, LT_REALM).text(NONCE, "obMatJos2AAABnew-nonce-0001")
    seeds["refresh_error_438_stale_nonce"] = m.finish(fingerprint=True)

    # CreatePermission (§9): several XOR-PEER-ADDRESS attributes are allowed.
    m = Message(REQUEST, CREATE_PERMISSION, tid(50))
    m.xor_address(XOR_PEER_ADDRESS, "192.0.2.150", 0)
    turn_auth(m)
    seeds["create_permission_request"] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)
    m = Message(REQUEST, CREATE_PERMISSION, tid(51))
    m.xor_address(XOR_PEER_ADDRESS, "192.0.2.150", 0)
    m.xor_address(XOR_PEER_ADDRESS, "2001:db8::150", 0)
    turn_auth(m)
    seeds["create_permission_request_two_peers"] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)
    seeds["create_permission_success"] = Message(SUCCESS, CREATE_PERMISSION, tid(50)).finish(
        integrity=LT_KEY_MD5, fingerprint=True)
    m = Message(ERROR, CREATE_PERMISSION, tid(52)).error_code(403, "Forbidden")
    seeds["create_permission_error_403"] = m.finish(integrity=LT_KEY_MD5)

    # ChannelBind (§11).
    m = Message(REQUEST, CHANNEL_BIND, tid(60))
    m.add(CHANNEL_NUMBER, b"\x40\x01\x00\x00").xor_address(XOR_PEER_ADDRESS, "192.0.2.150", 49170)
    turn_auth(m)
    seeds["channel_bind_request"] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)
    # An RFC 5766 number (0x4000-0x7FFF), as coturn's turnutils_uclient binds; RFC 8656 narrowed the range.
    m = Message(REQUEST, CHANNEL_BIND, tid(62))
    m.add(CHANNEL_NUMBER, b"\x76\x47\x00\x00").xor_address(XOR_PEER_ADDRESS, "192.0.2.150", 49171)
    turn_auth(m)
    seeds["channel_bind_request_rfc5766_number"] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)
    seeds["channel_bind_success"] = Message(SUCCESS, CHANNEL_BIND, tid(60)).finish(
        integrity=LT_KEY_MD5, fingerprint=True)
    m = Message(ERROR, CHANNEL_BIND, tid(61)).error_code(400, "Bad Request")
    seeds["channel_bind_error_400"] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)

    # Send and Data indications (§10).
    m = Message(INDICATION, SEND, tid(70))
    m.xor_address(XOR_PEER_ADDRESS, "192.0.2.150", 49170).add(DONT_FRAGMENT, b"")
    m.add(DATA_ATTR, b"\x80\x60\x00\x01" + bytes(range(13)))
    seeds["send_indication"] = m.finish(fingerprint=True)
    m = Message(INDICATION, DATA, tid(71))
    m.xor_address(XOR_PEER_ADDRESS, "2001:db8::150", 49170).add(DATA_ATTR, b"hello, peer")
    seeds["data_indication"] = m.finish()
    m = Message(INDICATION, DATA, tid(72))
    m.xor_address(XOR_PEER_ADDRESS, "192.0.2.150", 49170)
    m.add(ICMP, struct.pack(">HBBI", 0, 3, 3, 0))  # port unreachable
    seeds["data_indication_icmp"] = m.finish(fingerprint=True)
    m = Message(INDICATION, SEND, tid(73)).xor_address(XOR_PEER_ADDRESS, "192.0.2.150", 1)
    m.add(DATA_ATTR, b"")
    seeds["send_indication_empty_data"] = m.finish()

    # RFC 5780 NAT behaviour discovery.
    m = Message(REQUEST, BINDING, tid(80)).add(CHANGE_REQUEST, b"\x00\x00\x00\x06")
    m.add(RESPONSE_PORT, b"\x0d\x96\x00\x00").add(PADDING, b"\x00" * 500)
    seeds["rfc5780_request_change_request_padding"] = m.finish(fingerprint=True)
    m = Message(SUCCESS, BINDING, tid(80))
    m.xor_address(XOR_MAPPED_ADDRESS, "203.0.113.5", 54321)
    m.address(MAPPED_ADDRESS, "203.0.113.5", 54321)
    m.address(RESPONSE_ORIGIN, "192.0.2.2", 3479).address(OTHER_ADDRESS, "192.0.2.3", 3479)
    seeds["rfc5780_response_origin_other_address"] = m.finish(fingerprint=True)
    m = Message(SUCCESS, BINDING, tid(81))
    m.xor_address(XOR_MAPPED_ADDRESS, "2001:db8::5", 54321)
    m.address(RESPONSE_ORIGIN, "2001:db8::2", 3479).address(OTHER_ADDRESS, "2001:db8::3", 3479)
    seeds["rfc5780_response_ipv6"] = m.finish(fingerprint=True)

    # RFC 6062 TURN-TCP.
    m = Message(REQUEST, ALLOCATE, tid(90))
    turn_auth(m).add(REQUESTED_TRANSPORT, bytes([6, 0, 0, 0]))
    seeds["rfc6062_allocate_tcp"] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)
    m = Message(REQUEST, CONNECT, tid(91)).xor_address(XOR_PEER_ADDRESS, "192.0.2.150", 80)
    turn_auth(m)
    seeds["rfc6062_connect_request"] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)
    m = Message(SUCCESS, CONNECT, tid(91)).u32(CONNECTION_ID, 0x0000BEEF)
    seeds["rfc6062_connect_success"] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)
    m = Message(ERROR, CONNECT, tid(92)).error_code(446, "Connection Already Exists")
    seeds["rfc6062_connect_error_446"] = m.finish(integrity=LT_KEY_MD5)
    m = Message(ERROR, CONNECT, tid(93)).error_code(447, "Connection Timeout or Failure")
    seeds["rfc6062_connect_error_447"] = m.finish(integrity=LT_KEY_MD5)
    m = Message(INDICATION, CONNECTION_ATTEMPT, tid(94)).u32(CONNECTION_ID, 0x0000BEF0)
    m.xor_address(XOR_PEER_ADDRESS, "192.0.2.151", 51000)
    seeds["rfc6062_connection_attempt"] = m.finish(fingerprint=True)
    m = Message(REQUEST, CONNECTION_BIND, tid(95)).u32(CONNECTION_ID, 0x0000BEF0)
    turn_auth(m)
    seeds["rfc6062_connection_bind_request"] = m.finish(integrity=LT_KEY_MD5, fingerprint=True)

    # Near the limits: many attributes, long text values.
    m = Message(INDICATION, BINDING, tid(100))
    for i in range(60):
        m.add(0x8100 + i, bytes([i]) * (i % 7))
    seeds["many_optional_attributes"] = m.finish(fingerprint=True)
    m = Message(ERROR, ALLOCATE, tid(101)).error_code(401, "x" * 763)
    m.text(REALM, "r" * 763).text(NONCE, "n" * 763)
    seeds["long_text_values"] = m.finish()
    m = Message(REQUEST, BINDING, tid(102)).text(USERNAME, "\u00e9t\u00e9:\U0001f600" * 20)
    seeds["utf8_username"] = m.finish(integrity=ST)

    # A few malformed messages so the error paths start covered.
    good = seeds["rfc5769_2_1_request"]
    seeds["bad_truncated"] = good[:60]
    seeds["bad_magic_cookie"] = good[:4] + b"\x21\x12\xa4\x43" + good[8:]
    seeds["bad_fingerprint_value"] = good[:-1] + bytes([good[-1] ^ 1])
    fingerprinted = Message(REQUEST, BINDING, tid(110)).u32(PRIORITY, 1).finish(fingerprint=True)
    late = attribute(SOFTWARE, b"late")
    seeds["bad_attribute_after_fingerprint"] = (
        fingerprinted[:2] + struct.pack(">H", len(fingerprinted) - 20 + len(late))
        + fingerprinted[4:] + late)
    seeds["bad_length_not_multiple_of_4"] = good[:2] + struct.pack(">H", 0x57) + good[4:]
    bad = bytearray(Message(REQUEST, BINDING, tid(111)).u32(PRIORITY, 7).finish())
    bad[22:24] = struct.pack(">H", 3)  # PRIORITY must be 4 bytes
    seeds["bad_priority_length"] = bytes(bad)
    m = Message(INDICATION, BINDING, tid(113))
    for i in range(65):
        m.add(0x8100 + i, b"")
    seeds["bad_too_many_attributes"] = m.finish()
    seeds["bad_duplicate_username"] = Message(REQUEST, BINDING, tid(112)).text(USERNAME, "a").text(
        USERNAME, "b").finish()
    return seeds


# --- ChannelData seeds --------------------------------------------------------------------------

def channel_data(channel, payload, pad_to_4):
    frame = struct.pack(">HH", channel, len(payload)) + payload
    if pad_to_4:
        frame += b"\x00" * ((4 - len(payload) % 4) % 4)
    return frame


def channel_seeds(stun):
    rtp = bytes.fromhex("80e00001000000641234abcd") + bytes(range(20))
    dtls = bytes.fromhex("16fefd0000000000000000") + b"\x00\x2a" + bytes(42)
    seeds = {
        "udp_unpadded_odd": channel_data(0x4000, b"hello", False),
        "udp_padded_odd": channel_data(0x4000, b"hello", True),
        "udp_empty_payload": channel_data(0x4001, b"", False),
        "udp_aligned_payload": channel_data(0x4abc, bytes(range(8)), False),
        "udp_last_channel_rtp": channel_data(0x4FFF, rtp, False),
        "udp_dtls_unpadded": channel_data(0x4000, dtls[:45], False),
        "udp_one_byte_padded": channel_data(0x4123, b"\x7f", True),
        "udp_bad_trailing_bytes": channel_data(0x4000, b"hello", True) + b"\x00\x00\x00\x00",
        "udp_bad_short_payload": channel_data(0x4000, b"hello", False)[:7],
        "tcp_one_frame": channel_data(0x4000, rtp, True),
        "tcp_three_frames": b"".join(channel_data(0x4000 + i, bytes([i]) * (i + 1), True)
                                     for i in range(3)),
        "tcp_mixed_stun_and_channel_data": (
            stun["binding_request_ice_controlling"] + channel_data(0x4001, b"abc", True)
            + stun["send_indication"] + channel_data(0x4002, dtls, True)
            + stun["binding_indication_keepalive"]),
        "tcp_partial_last_frame": (channel_data(0x4000, b"abcd", True)
                                   + channel_data(0x4001, b"efghij", True)[:7]),
        "tcp_partial_stun_header": channel_data(0x4000, b"x", True) + stun["allocate_success"][:11],
        "tcp_garbage_after_frame": channel_data(0x4000, b"ok", True) + b"\x80\x00\x00\x10garbage!",
        "tcp_many_small_frames": b"".join(channel_data(0x4000 | (i * 37 % 0x1000), bytes([i]) * (i % 5), True)
                                          for i in range(40)),
        # RFC 5766 numbers (0x5000-0x7FFF): ChannelData for a TURN server, not for RFC 8656 framing.
        "udp_rfc5766_channel": channel_data(0x7647, b"hello", False),
        "udp_rfc5766_last_channel_padded": channel_data(0x7FFF, b"\x01\x02\x03", True),
        "tcp_rfc5766_mixed": (channel_data(0x7647, b"abcde", True) + stun["binding_request_ice_controlling"]
                              + channel_data(0x5000, b"", True) + channel_data(0x4001, b"xy", True)
                              + channel_data(0x6abc, rtp, True)),
    }
    return seeds


# --- Dictionary -----------------------------------------------------------------------------------

METHODS = [("binding", BINDING), ("allocate", ALLOCATE), ("refresh", REFRESH), ("send", SEND),
           ("data", DATA), ("create_permission", CREATE_PERMISSION), ("channel_bind", CHANNEL_BIND),
           ("connect", CONNECT), ("connection_bind", CONNECTION_BIND),
           ("connection_attempt", CONNECTION_ATTEMPT)]
CLASSES = [("request", REQUEST), ("indication", INDICATION), ("success", SUCCESS), ("error", ERROR)]
NOT_ATTRIBUTES = {"MAGIC_COOKIE", "FINGERPRINT_XOR"} | {name.upper() for name, _ in METHODS}


def dictionary():
    def escaped(data):
        return "".join("\\x%02X" % b for b in data)

    lines = ["# libFuzzer dictionary for tern's STUN/TURN harnesses (RFC 8489, RFC 8656): the magic cookie,",
             "# message types, attribute types (big-endian) and ChannelData channel numbers.",
             "# Generated by make_corpus.py; do not edit.",
             'magic_cookie="%s"' % escaped(struct.pack(">I", MAGIC_COOKIE))]
    for method_name, method in METHODS:
        for class_name, cls in CLASSES:
            lines.append('type_%s_%s="%s"' % (method_name, class_name,
                                              escaped(struct.pack(">H", message_type(cls, method)))))
    attributes = sorted((value, name) for name, value in globals().items()
                        if name.isupper() and isinstance(value, int) and name not in NOT_ATTRIBUTES
                        and name not in ("REQUEST", "INDICATION", "SUCCESS", "ERROR"))
    for value, name in attributes:
        lines.append('attr_%s="%s"' % (name.lower(), escaped(struct.pack(">H", value))))
    lines += ['channel_first="\\x40\\x00"', 'channel_last="\\x4F\\xFF"', 'channel_rfc5766_last="\\x7F\\xFF"',
              'family_v4="\\x00\\x01"', 'family_v6="\\x00\\x02"',
              'xor_port_mask="\\x21\\x12"', 'nonce_cookie="obMatJos2"']
    return ("\n".join(lines) + "\n").encode()


# --- main ------------------------------------------------------------------------------------

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(here, "corpus"))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()

    check_rfc5769()
    stun = stun_seeds()
    corpora = {"stun_message": stun, "channel_data": channel_seeds(stun)}
    differences = 0
    dict_path = os.path.join(args.out, os.pardir, "stun.dict")
    if args.check:
        try:
            with open(dict_path, "rb") as f:
                same = f.read() == dictionary()
        except FileNotFoundError:
            same = False
        if not same:
            print("differs: %s" % dict_path)
            differences += 1
    else:
        with open(dict_path, "wb") as f:
            f.write(dictionary())
    for corpus, seeds in corpora.items():
        folder = os.path.join(args.out, corpus)
        if not args.check:
            os.makedirs(folder, exist_ok=True)
        for name, data in sorted(seeds.items()):
            path = os.path.join(folder, name + ".bin")
            if args.check:
                try:
                    with open(path, "rb") as f:
                        same = f.read() == data
                except FileNotFoundError:
                    same = False
                if not same:
                    print("differs: %s" % path)
                    differences += 1
            else:
                with open(path, "wb") as f:
                    f.write(data)
        print("%s: %d seeds%s" % (corpus, len(seeds), "" if args.check else " written to " + folder))
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
