// Randomness is injected into every core as a Random& (DESIGN.md): CryptoRandom (BoringSSL RAND_bytes)
// in production, SeededRandom (xoshiro256**, reproducible from a 64-bit seed) in tests and the simulator.
#ifndef TERN_BASE_RANDOM_H_
#define TERN_BASE_RANDOM_H_

#include <cstdint>
#include <span>

namespace tern {

class Random {
 public:
  virtual ~Random() = default;
  virtual void Fill(std::span<uint8_t> out) = 0;
  virtual uint64_t NextU64();
  uint32_t NextU32() { return static_cast<uint32_t>(NextU64() >> 32); }
  // Uniform in [0, n); 0 when n == 0. Unbiased (rejection sampling).
  uint64_t Uniform(uint64_t n);
  // Uniform in [0, 1).
  double UniformDouble() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }
  // True with probability p.
  bool Bernoulli(double p) { return UniformDouble() < p; }
};

// Cryptographically secure; thread-safe. Use for transaction ids, ICE credentials, nonces and keys.
class CryptoRandom final : public Random {
 public:
  void Fill(std::span<uint8_t> out) override;
};

// Deterministic: the same seed gives the same sequence on every platform. Not thread-safe.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed);
  void Fill(std::span<uint8_t> out) override;
  uint64_t NextU64() override;
  uint64_t seed() const { return seed_; }

 private:
  uint64_t seed_;
  uint64_t s_[4];
};

}  // namespace tern

#endif  // TERN_BASE_RANDOM_H_
