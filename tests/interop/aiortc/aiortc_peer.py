#!/usr/bin/python3
"""An aiortc (Debian python3-aiortc) WebRTC peer driven by JSON lines on stdin/stdout.

Speaks tests/interop/PROTOCOL.md for tern's interop tests. Run it with /usr/bin/python3 (another python3
earlier on PATH does not see Debian's packages).

Binds only to one address: aioice skips 127.0.0.1 when it gathers host candidates, so its
get_host_addresses is replaced by one returning the address given with --address (default 127.0.0.1).
No ICE servers (aiortc falls back to a public STUN server when iceServers is None). aiortc does not
trickle: its candidates are in the SDP, followed by one empty (end-of-candidates) candidate message.
"""

import argparse
import asyncio
import hashlib
import ipaddress
import json
import sys
import threading

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp


def pattern_message(j, size, binary):
    """Message j of a send command (PROTOCOL.md, "The pattern")."""
    if binary:
        return bytes(((j * 251 + k * 31 + 7) & 0xFF) for k in range(size))
    return "".join(chr(ord("a") + (j * 7 + k) % 26) for k in range(size))


class Channel:
    def __init__(self, dc, origin):
        self.dc = dc
        self.origin = origin
        self.bytes = 0
        self.messages = 0
        self.strings = 0
        self.binaries = 0
        self.min_size = 0
        self.max_size = 0
        self.digest = hashlib.sha256()
        self.expect = None
        self.opened = asyncio.Event()


class Peer:
    def __init__(self, address):
        self.address = address
        self.pc = None
        self.echo = False
        self.channels = {}
        self.pending = []
        self.remote_set = False

    def emit(self, obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    def fail(self, message):
        print(f"aiortc-peer: {message}", file=sys.stderr, flush=True)
        self.emit({"type": "error", "message": message})

    def report(self, ch):
        self.emit({"type": "received", "label": ch.dc.label, "bytes": ch.bytes, "messages": ch.messages,
                   "strings": ch.strings, "binaries": ch.binaries, "minSize": ch.min_size,
                   "maxSize": ch.max_size, "sha256": ch.digest.hexdigest()})

    def track(self, dc, origin):
        label = dc.label
        if label in self.channels:
            self.fail(f"two channels labelled {label!r}")
            return
        ch = Channel(dc, origin)
        self.channels[label] = ch

        def on_open():
            ch.opened.set()
            self.emit({"type": "channel", "label": label, "id": dc.id, "protocol": dc.protocol,
                       "ordered": dc.ordered, "maxRetransmits": dc.maxRetransmits,
                       "maxPacketLifeTime": dc.maxPacketLifeTime, "negotiated": dc.negotiated,
                       "origin": origin})

        def on_message(message):
            if isinstance(message, str):
                data = message.encode("utf-8")
                ch.strings += 1
            else:
                data = message
                ch.binaries += 1
            n = len(data)
            ch.messages += 1
            ch.bytes += n
            ch.min_size = n if ch.messages == 1 else min(ch.min_size, n)
            ch.max_size = max(ch.max_size, n)
            ch.digest.update(data)
            if ch.expect is not None and ch.bytes >= ch.expect:
                ch.expect = None
                self.report(ch)
            if self.echo:
                dc.send(message)

        def on_close():
            self.emit({"type": "closed", "label": label})

        dc.on("open", on_open)
        dc.on("message", on_message)
        dc.on("close", on_close)
        if dc.readyState == "open":
            on_open()

    def open(self, spec):
        if self.pc is None:
            self.fail(f"open {spec.get('label')!r} before start")
            return
        dc = self.pc.createDataChannel(
            spec["label"], ordered=spec.get("ordered", True) is not False,
            maxRetransmits=spec.get("maxRetransmits"), maxPacketLifeTime=spec.get("maxPacketLifeTime"),
            protocol=spec.get("protocol") or "", negotiated=bool(spec.get("negotiated")), id=spec.get("id"))
        self.track(dc, "local")

    async def add_candidate(self, msg):
        text = msg.get("candidate") or ""
        sctp = self.pc.sctp
        if text == "":
            if sctp is not None:
                await sctp.transport.transport.addRemoteCandidate(None)
            return
        cand = candidate_from_sdp(text.split(":", 1)[1] if text.startswith("candidate:") else text)
        cand.sdpMid = msg.get("sdpMid") or (sctp.mid if sctp is not None else None)
        cand.sdpMLineIndex = msg.get("sdpMLineIndex")
        await self.pc.addIceCandidate(cand)

    async def send(self, msg):
        ch = self.channels.get(msg["label"])
        if ch is None:
            self.fail(f"send: no channel {msg['label']!r}")
            return
        await ch.opened.wait()
        binary = msg.get("binary", True) is not False
        digest = hashlib.sha256()
        total = 0
        for j in range(msg["count"]):
            m = pattern_message(j, msg["size"], binary)
            data = m if binary else m.encode("ascii")
            digest.update(data)
            total += len(data)
            ch.dc.send(m)
            # Let the SCTP transport drain so that bufferedAmount stays bounded.
            while ch.dc.bufferedAmount > (1 << 20):
                await asyncio.sleep(0.005)
        self.emit({"type": "sent", "label": msg["label"], "bytes": total, "messages": msg["count"],
                   "sha256": digest.hexdigest()})

    async def handle(self, msg):
        kind = msg.get("type")
        if kind == "start":
            if self.pc is not None:
                self.fail("start: already started")
                return
            self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            self.echo = bool(msg.get("echo"))

            @self.pc.on("connectionstatechange")
            def on_state():
                self.emit({"type": "state", "state": self.pc.connectionState})

            @self.pc.on("datachannel")
            def on_datachannel(dc):
                self.track(dc, "remote")

            for spec in msg.get("channels") or []:
                self.open(spec)
            if msg.get("role") == "offerer":
                await self.pc.setLocalDescription(await self.pc.createOffer())
                self.emit({"type": "offer", "sdp": self.pc.localDescription.sdp})
                self.emit({"type": "candidate", "candidate": "", "sdpMid": self.pc.sctp.mid if self.pc.sctp else "0",
                           "sdpMLineIndex": 0})
            elif msg.get("role") != "answerer":
                self.fail(f"start: role must be offerer or answerer, not {msg.get('role')!r}")
        elif kind in ("offer", "answer"):
            if self.pc is None:
                self.fail(f"{kind} before start")
                return
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=msg["sdp"], type=kind))
            if kind == "offer":
                await self.pc.setLocalDescription(await self.pc.createAnswer())
                self.emit({"type": "answer", "sdp": self.pc.localDescription.sdp})
                self.emit({"type": "candidate", "candidate": "", "sdpMid": self.pc.sctp.mid if self.pc.sctp else "0",
                           "sdpMLineIndex": 0})
            self.remote_set = True
            pending, self.pending = self.pending, []
            for c in pending:
                await self.add_candidate(c)
        elif kind == "candidate":
            if self.pc is None or not self.remote_set:
                self.pending.append(msg)
            else:
                await self.add_candidate(msg)
        elif kind == "open":
            self.open(msg)
        elif kind == "send":
            asyncio.ensure_future(self.send(msg))
        elif kind in ("expect", "report"):
            ch = self.channels.get(msg.get("label"))
            if ch is None:
                self.fail(f"{kind}: no channel {msg.get('label')!r}")
            elif kind == "report" or ch.bytes >= msg.get("bytes", 0):
                self.report(ch)
            else:
                ch.expect = msg["bytes"]
        elif kind == "close":
            ch = self.channels.get(msg.get("label"))
            if ch is None:
                self.fail(f"close: no channel {msg.get('label')!r}")
            else:
                ch.dc.close()
        elif kind == "quit":
            return False
        else:
            self.fail(f"unknown command {kind!r}")
        return True


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", default="127.0.0.1", help="the only local IPv4 address to gather on")
    args = parser.parse_args()
    ipaddress.IPv4Address(args.address)
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [args.address]

    loop = asyncio.get_running_loop()
    lines = asyncio.Queue()

    def read_stdin():
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, None)

    threading.Thread(target=read_stdin, daemon=True).start()
    peer = Peer(args.address)
    peer.emit({"type": "ready", "peer": "aiortc"})
    while True:
        line = await lines.get()
        if line is None:
            break
        if not line.strip():
            continue
        try:
            msg = json.loads(line)
        except ValueError as e:
            peer.fail(f"bad JSON command: {e}")
            continue
        try:
            if not await peer.handle(msg):
                break
        except Exception as e:  # report, keep serving: the test decides
            peer.fail(f"{msg.get('type')}: {type(e).__name__}: {e}")
    if peer.pc is not None:
        await peer.pc.close()


if __name__ == "__main__":
    asyncio.run(main())
