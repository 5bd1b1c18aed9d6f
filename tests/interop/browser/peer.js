// A Chromium WebRTC peer for tern's interop tests: speaks tests/interop/PROTOCOL.md through
// run_page.mjs (window.ternSend / window.onTernSignal carry the JSON lines; run_page wraps what we send
// as {"type":"signal","data":...}). Run inside a namespace (scripts/netns-run.sh): Chromium gathers
// no candidates on loopback alone. params.address, when given, is the only address our candidates may
// carry; a candidate on any other address is reported as an error.
(() => {
  const expectedAddress = params.address || null;
  let pc = null;
  let echo = false;
  let remoteSet = false;
  const pending = [];
  const channels = new Map(); // label -> state
  const encoder = new TextEncoder();

  const send = (obj) => ternSend(obj);
  const fail = (message) => {
    ternLog(`error: ${message}`);
    send({ type: 'error', message: String(message) });
  };

  function patternMessage(j, size, binary) {
    if (binary) {
      const b = new Uint8Array(size);
      for (let k = 0; k < size; k++) b[k] = (j * 251 + k * 31 + 7) & 0xff;
      return b;
    }
    const codes = new Uint8Array(size);
    for (let k = 0; k < size; k++) codes[k] = 97 + ((j * 7 + k) % 26);
    return new TextDecoder('ascii').decode(codes);
  }

  async function sha256Hex(chunks) {
    let total = 0;
    for (const c of chunks) total += c.length;
    const all = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
    return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  async function report(ch) {
    // Snapshot first: more messages may arrive while the digest is computed.
    const snapshot = {
      bytes: ch.bytes, messages: ch.messages, strings: ch.strings, binaries: ch.binaries,
      minSize: ch.minSize, maxSize: ch.maxSize, chunks: ch.chunks.slice(),
    };
    send({
      type: 'received', label: ch.dc.label, bytes: snapshot.bytes, messages: snapshot.messages,
      strings: snapshot.strings, binaries: snapshot.binaries, minSize: snapshot.minSize,
      maxSize: snapshot.maxSize, sha256: await sha256Hex(snapshot.chunks),
    });
  }

  function track(dc, origin) {
    if (channels.has(dc.label)) {
      fail(`two channels labelled ${dc.label}`);
      return;
    }
    dc.binaryType = 'arraybuffer';
    const ch = {
      dc, origin, bytes: 0, messages: 0, strings: 0, binaries: 0, minSize: 0, maxSize: 0, chunks: [],
      expect: null, opened: null,
    };
    ch.opened = new Promise((resolve) => {
      const onOpen = () => {
        send({
          type: 'channel', label: dc.label, id: dc.id, protocol: dc.protocol, ordered: dc.ordered,
          maxRetransmits: dc.maxRetransmits, maxPacketLifeTime: dc.maxPacketLifeTime,
          negotiated: dc.negotiated, origin,
        });
        resolve();
      };
      if (dc.readyState === 'open') onOpen();
      else dc.addEventListener('open', onOpen);
    });
    channels.set(dc.label, ch);
    dc.onmessage = (m) => {
      let bytes;
      if (typeof m.data === 'string') {
        bytes = encoder.encode(m.data);
        ch.strings++;
      } else {
        bytes = new Uint8Array(m.data);
        ch.binaries++;
      }
      ch.messages++;
      ch.bytes += bytes.length;
      ch.minSize = ch.messages === 1 ? bytes.length : Math.min(ch.minSize, bytes.length);
      ch.maxSize = Math.max(ch.maxSize, bytes.length);
      ch.chunks.push(bytes);
      if (ch.expect !== null && ch.bytes >= ch.expect) {
        ch.expect = null;
        report(ch);
      }
      if (echo) {
        try {
          dc.send(m.data);
        } catch (e) {
          fail(`echo on ${dc.label}: ${e}`);
        }
      }
    };
    dc.onclose = () => send({ type: 'closed', label: dc.label });
    dc.onerror = (e) => ternLog(`channel ${dc.label} error: ${e.error || e}`);
  }

  function open(spec) {
    if (!pc) {
      fail(`open ${spec.label} before start`);
      return;
    }
    const init = { ordered: spec.ordered !== false };
    if (spec.maxRetransmits !== undefined && spec.maxRetransmits !== null) init.maxRetransmits = spec.maxRetransmits;
    if (spec.maxPacketLifeTime !== undefined && spec.maxPacketLifeTime !== null) {
      init.maxPacketLifeTime = spec.maxPacketLifeTime;
    }
    if (spec.protocol) init.protocol = spec.protocol;
    if (spec.negotiated) {
      init.negotiated = true;
      init.id = spec.id;
    }
    track(pc.createDataChannel(spec.label, init), 'local');
  }

  async function addCandidate(msg) {
    try {
      await pc.addIceCandidate({
        candidate: msg.candidate || '',
        sdpMid: msg.sdpMid ?? null,
        sdpMLineIndex: msg.sdpMLineIndex ?? null,
      });
    } catch (e) {
      fail(`addIceCandidate(${msg.candidate}): ${e}`);
    }
  }

  async function sendPattern(msg) {
    const ch = channels.get(msg.label);
    if (!ch) {
      fail(`send: no channel ${msg.label}`);
      return;
    }
    await ch.opened;
    const binary = msg.binary !== false;
    const chunks = [];
    let total = 0;
    ch.dc.bufferedAmountLowThreshold = 1 << 20;
    for (let j = 0; j < msg.count; j++) {
      const m = patternMessage(j, msg.size, binary);
      const bytes = binary ? m : encoder.encode(m);
      chunks.push(bytes);
      total += bytes.length;
      while (ch.dc.bufferedAmount > 8 << 20) {
        await new Promise((resolve) => ch.dc.addEventListener('bufferedamountlow', resolve, { once: true }));
      }
      ch.dc.send(m);
    }
    send({ type: 'sent', label: msg.label, bytes: total, messages: msg.count, sha256: await sha256Hex(chunks) });
  }

  async function handle(msg) {
    switch (msg.type) {
      case 'start': {
        if (pc) {
          fail('start: already started');
          return;
        }
        pc = new RTCPeerConnection({ iceServers: [] });
        echo = Boolean(msg.echo);
        pc.onicecandidate = (e) => {
          if (!e.candidate) {
            send({ type: 'candidate', candidate: '', sdpMid: '0', sdpMLineIndex: 0 });
            return;
          }
          if (expectedAddress && e.candidate.address !== expectedAddress) {
            fail(`candidate on ${e.candidate.address}, expected only ${expectedAddress}`);
          }
          send({
            type: 'candidate', candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid,
            sdpMLineIndex: e.candidate.sdpMLineIndex,
          });
        };
        pc.onconnectionstatechange = () => send({ type: 'state', state: pc.connectionState });
        pc.ondatachannel = (e) => track(e.channel, 'remote');
        for (const spec of msg.channels || []) open(spec);
        if (msg.role === 'offerer') {
          await pc.setLocalDescription(await pc.createOffer());
          send({ type: 'offer', sdp: pc.localDescription.sdp });
        } else if (msg.role !== 'answerer') {
          fail(`start: role must be offerer or answerer, not ${msg.role}`);
        }
        return;
      }
      case 'offer':
      case 'answer': {
        if (!pc) {
          fail(`${msg.type} before start`);
          return;
        }
        await pc.setRemoteDescription({ type: msg.type, sdp: msg.sdp });
        if (msg.type === 'offer') {
          await pc.setLocalDescription(await pc.createAnswer());
          send({ type: 'answer', sdp: pc.localDescription.sdp });
        }
        remoteSet = true;
        for (const c of pending.splice(0)) await addCandidate(c);
        return;
      }
      case 'candidate':
        if (!pc || !remoteSet) pending.push(msg);
        else await addCandidate(msg);
        return;
      case 'open':
        open(msg);
        return;
      case 'send':
        sendPattern(msg).catch((e) => fail(`send on ${msg.label}: ${e}`));
        return;
      case 'expect':
      case 'report': {
        const ch = channels.get(msg.label);
        if (!ch) fail(`${msg.type}: no channel ${msg.label}`);
        else if (msg.type === 'report' || ch.bytes >= (msg.bytes || 0)) await report(ch);
        else ch.expect = msg.bytes;
        return;
      }
      case 'close': {
        const ch = channels.get(msg.label);
        if (!ch) fail(`close: no channel ${msg.label}`);
        else ch.dc.close();
        return;
      }
      case 'quit':
        if (pc) pc.close();
        ternDone(true, { quit: true });
        return;
      default:
        fail(`unknown command ${msg.type}`);
    }
  }

  // Commands are handled one at a time, in order (an answer must not overtake its offer).
  let queue = Promise.resolve();
  window.onTernSignal = (msg) => {
    queue = queue.then(() => handle(msg)).catch((e) => fail(`${msg.type}: ${e}`));
  };
  send({ type: 'ready', peer: 'chromium' });
})();
