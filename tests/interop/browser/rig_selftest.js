// Rig self-test: two RTCPeerConnections in this page open a data channel and echo 64 KiB byte-exact.
// Proves that the namespace, Chromium and run_page.mjs work before any tern test depends on them, and
// checks that Chromium gathered candidates only on the namespace's veth address (params.address).
(async () => {
  const expected = params.address;
  const seen = [];
  const a = new RTCPeerConnection({ iceServers: [] });
  const b = new RTCPeerConnection({ iceServers: [] });
  for (const [from, to] of [[a, b], [b, a]]) {
    from.onicecandidate = (e) => {
      if (!e.candidate) return;
      seen.push(e.candidate.address);
      to.addIceCandidate(e.candidate);
    };
  }
  const ch = a.createDataChannel('selftest');
  ch.binaryType = 'arraybuffer';
  b.ondatachannel = (e) => {
    e.channel.binaryType = 'arraybuffer';
    e.channel.onmessage = (m) => e.channel.send(m.data);
  };
  const payload = new Uint8Array(65536);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
  ch.onopen = () => ch.send(payload);
  ch.onmessage = (m) => {
    const got = new Uint8Array(m.data);
    const same = got.length === payload.length && got.every((v, i) => v === payload[i]);
    const foreign = seen.filter((addr) => addr !== expected);
    ternDone(same && seen.length > 0 && foreign.length === 0,
      { echoed: got.length, candidates: seen, foreign });
  };
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
})().catch((e) => ternDone(false, { error: String(e) }));
