// Uses the installed tern: builds a Binding response with integrity and fingerprint, parses it back and
// checks every field. Exits non-zero on any mismatch.
#include <cstdio>

#include "tern/base/random.h"
#include "tern/stun/stun.h"

int main() {
  using namespace tern;
  SeededRandom random(42);
  stun::TransactionId id = stun::TransactionId::Generate(random);
  stun::IntegrityKey key = stun::IntegrityKey::ShortTerm("consumer-password");
  SocketAddress mapped = *SocketAddress::Parse("[2001:db8::7]:5000");
  uint8_t buf[256];
  stun::MessageBuilder b(buf, {stun::MessageClass::kSuccessResponse, stun::method::kBinding}, id);
  b.AddXorAddress(stun::attr::kXorMappedAddress, mapped);
  absl::StatusOr<ByteSpan> wire = b.Finish({.integrity = &key, .fingerprint = true});
  if (!wire.ok()) return 1;
  absl::StatusOr<stun::MessageView> m = stun::MessageView::Parse(*wire);
  if (!m.ok() || !m->VerifyIntegrity(key).ok() || !m->VerifyFingerprint().ok()) return 2;
  absl::StatusOr<SocketAddress> got = m->GetXorMappedAddress();
  if (!got.ok() || !(*got == mapped)) return 3;
  std::printf("tern consumer: %zu-byte Binding response round-tripped, mapped %s\n", wire->size(),
              got->ToString().c_str());
  return 0;
}
