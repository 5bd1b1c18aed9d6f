// Two RTCPeerConnections in headless Chromium, each forced through its own tern-turnserver with
// iceTransportPolicy 'relay' and TURN REST credentials: A over UDP to params.turn1, B over TCP to
// params.turn2. A data channel echoes 64 KiB byte-exact; getStats() must show a selected pair whose local
// and remote candidates are both relay candidates, and no candidate of another type may be gathered.
// (Two servers, because a server never relays to its own relayed addresses: the CVE-2020-26262 rule.)
(async () => {
  const make = (url) => new RTCPeerConnection({
    iceServers: [{ urls: url, username: params.username, credential: params.credential }],
    iceTransportPolicy: 'relay',
  });
  const a = make(`turn:${params.turn1}?transport=udp`);
  const b = make(`turn:${params.turn2}?transport=tcp`);
  const gathered = [];
  for (const [from, to, name] of [[a, b, 'a'], [b, a, 'b']]) {
    from.onicecandidate = (e) => {
      if (!e.candidate) return;
      gathered.push({ pc: name, type: e.candidate.type, address: e.candidate.address, port: e.candidate.port });
      to.addIceCandidate(e.candidate);
    };
  }
  const ch = a.createDataChannel('through-tern');
  ch.binaryType = 'arraybuffer';
  b.ondatachannel = (e) => {
    e.channel.binaryType = 'arraybuffer';
    e.channel.onmessage = (m) => e.channel.send(m.data);
  };
  const payload = new Uint8Array(65536);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 131 + 17) & 0xff;
  ch.onopen = () => ch.send(payload);
  ch.onmessage = async (m) => {
    const got = new Uint8Array(m.data);
    const same = got.length === payload.length && got.every((v, i) => v === payload[i]);
    const stats = await a.getStats();
    let pair = null;
    const byId = new Map();
    stats.forEach((s) => byId.set(s.id, s));
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = byId.get(s.selectedCandidatePairId);
    });
    if (!pair) stats.forEach((s) => { if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s; });
    const local = pair ? byId.get(pair.localCandidateId) : null;
    const remote = pair ? byId.get(pair.remoteCandidateId) : null;
    const nonRelay = gathered.filter((c) => c.type !== 'relay');
    // B reached its server over TCP: its local relay candidate says so.
    const bProtocols = [];
    (await b.getStats()).forEach((s) => { if (s.type === 'local-candidate') bProtocols.push(s.relayProtocol); });
    const ok = same && pair !== null && local && remote && local.candidateType === 'relay' &&
      remote.candidateType === 'relay' && local.relayProtocol === 'udp' && bProtocols.includes('tcp') &&
      nonRelay.length === 0 && gathered.length >= 2;
    ternDone(ok, {
      echoed: got.length, same, gathered, nonRelay,
      local: local ? { type: local.candidateType, address: local.address, port: local.port, relayProtocol: local.relayProtocol } : null,
      remote: remote ? { type: remote.candidateType, address: remote.address, port: remote.port } : null,
      bytesSent: pair ? pair.bytesSent : 0, bProtocols,
    });
  };
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
})().catch((e) => ternDone(false, { error: String(e) }));
