#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/sdp_fuzzer.cc into fuzz/corpus/sdp/.

Seeds: every sample in tests/unit/sdp/samples/ (CRLF as written, and with LF line ends), each cut
short in the middle of a line, a few with one line broken in a way the parser must refuse, small
descriptions for the less common line types, and bare candidate lines. Files named regression_* (inputs
that once broke an invariant) are kept. Run from anywhere:
    python3 tests/unit/sdp/make_fuzz_corpus.py
"""
import hashlib
import os
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE.parent.parent.parent / "fuzz" / "corpus" / "sdp"

HEAD = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"

EXTRA = {
    "minimal": HEAD,
    "all_line_types": "v=0\r\no=jdoe 2890844526 2890842807 IN IP4 10.47.16.5\r\ns=SDP Seminar\r\ni=info\r\n"
    "u=http://www.example.com/seminars/sdp.pdf\r\ne=j.doe@example.com (Jane Doe)\r\np=+1 617 555-6011\r\n"
    "c=IN IP4 224.2.17.12/127\r\nb=CT:128\r\nt=2873397496 2873404696\r\nr=604800 3600 0 90000\r\n"
    "z=2882844526 -1h 2898848070 0\r\nk=prompt\r\na=recvonly\r\nm=audio 49170 RTP/AVP 0\r\ni=audio\r\n"
    "c=IN IP4 224.2.17.12/127\r\nb=AS:64\r\nk=prompt\r\nm=video 51372/2 RTP/AVP 99\r\na=rtpmap:99 h263-1998/90000\r\n",
    "rid_simulcast": HEAD + "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=rtpmap:96 VP8/90000\r\n"
    "a=rtpmap:97 VP8/90000\r\na=rid:hi send pt=96,97;max-width=1280;max-height=720\r\na=rid:lo recv depend\r\n"
    "a=simulcast:recv 1,~2;3 send hi\r\na=rtcp-fb:* nack\r\na=mid:0\r\na=rtcp-mux\r\n",
    "bundle_only": HEAD + "a=group:BUNDLE 0 1\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "a=mid:0\r\na=setup:actpass\r\nm=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=bundle-only\r\na=mid:1\r\na=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n",
    "extmap_session": HEAD + "a=extmap:1/sendonly urn:x attr\r\na=extmap-allow-mixed\r\na=sendonly\r\n"
    "m=audio 9 RTP/SAVPF 0\r\na=extmap:2 urn:y\r\na=ssrc-group:FID 1 2\r\na=ssrc:1 cname:a\r\na=ssrc:2 msid:s t\r\n",
    "unknown_attributes": HEAD + "a=x-flag\r\na=tool:tern\r\na=x-empty:\r\nm=message 9 TCP/MSRP *\r\n"
    "a=accept-types:text/plain\r\na=path:msrp://example.com:7654/jshA7weztas;tcp\r\n",
    "reject_port": HEAD + "m=audio 70000 RTP/AVP 0\r\n",
    "reject_pt": HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF opus\r\n",
    "reject_no_t": "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\n",
    "reject_extmap": HEAD + "m=audio 9 RTP/AVP 0\r\na=extmap:0 urn:x\r\n",
    "candidate_host": "candidate:842163049 1 udp 1677729535 192.0.2.10 49203 typ host generation 0 ufrag EsAw "
    "network-id 3 network-cost 10",
    "candidate_tcp": "a=candidate:1 1 TCP 2105524479 10.0.3.1 9 typ host tcptype active\r\n",
    "candidate_relay": "candidate:3 1 udp 41885695 2001:db8::5 3478 typ relay raddr 0.0.0.0 rport 0 x-ext 1",
}


def write(name, data):
    (OUT / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        if not old.name.startswith("regression_"):  # inputs the fuzzer found stay
            old.unlink()
    for sample in sorted((HERE / "samples").glob("*.sdp")):
        text = sample.read_bytes()
        stem = sample.stem
        write(stem, text)
        write(stem + "_lf", text.replace(b"\r\n", b"\n"))
        write(stem + "_cut", text[: len(text) // 2 + 3])
        lines = text.split(b"\r\n")
        # Break the m= line's port, as a hostile peer might.
        broken = [l.replace(b" 9 ", b" 99999 ", 1) if l.startswith(b"m=") else l for l in lines]
        write(stem + "_badport", b"\r\n".join(broken))
    for name, text in EXTRA.items():
        write(name, text)
    names = sorted(p.name for p in OUT.iterdir())
    digest = hashlib.sha256("".join(names).encode()).hexdigest()[:12]
    print(f"{len(names)} seeds in {os.path.relpath(OUT)} ({digest})")


if __name__ == "__main__":
    main()
