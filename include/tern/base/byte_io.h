// Bounds-checked big-endian (network order) readers and writers over caller-owned byte spans.
// Neither allocates. A failed read leaves the reader where it was; a write that does not fit sets a
// sticky overflow flag and writes nothing, so a builder can check once at the end.
#ifndef TERN_BASE_BYTE_IO_H_
#define TERN_BASE_BYTE_IO_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace tern {

using ByteSpan = std::span<const uint8_t>;
using MutableByteSpan = std::span<uint8_t>;

inline ByteSpan AsBytes(std::string_view s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string_view AsString(ByteSpan b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

inline uint16_t LoadBigEndian16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t LoadBigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline uint64_t LoadBigEndian64(const uint8_t* p) {
  return (uint64_t{LoadBigEndian32(p)} << 32) | LoadBigEndian32(p + 4);
}
inline void StoreBigEndian16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void StoreBigEndian32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
inline void StoreBigEndian64(uint8_t* p, uint64_t v) {
  StoreBigEndian32(p, static_cast<uint32_t>(v >> 32));
  StoreBigEndian32(p + 4, static_cast<uint32_t>(v));
}

// Reads big-endian integers and sub-spans from a span. Every Read* returns false (and consumes nothing)
// when fewer bytes remain than asked for.
class ByteReader {
 public:
  explicit ByteReader(ByteSpan data) : data_(data) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }
  ByteSpan rest() const { return data_.subspan(pos_); }

  bool ReadU8(uint8_t* out);
  bool ReadU16(uint16_t* out);
  bool ReadU24(uint32_t* out);
  bool ReadU32(uint32_t* out);
  bool ReadU64(uint64_t* out);
  // Points *out at the next n bytes of the underlying buffer (no copy).
  bool ReadBytes(size_t n, ByteSpan* out);
  bool CopyBytes(MutableByteSpan out);
  bool Skip(size_t n);

 private:
  ByteSpan data_;
  size_t pos_ = 0;
};

// Writes big-endian integers and bytes into a span. On overflow nothing is written, ok() turns false
// and stays false.
class ByteWriter {
 public:
  explicit ByteWriter(MutableByteSpan buffer) : buf_(buffer) {}

  bool ok() const { return ok_; }
  size_t size() const { return pos_; }
  size_t remaining() const { return buf_.size() - pos_; }
  ByteSpan written() const { return ByteSpan(buf_.data(), pos_); }
  MutableByteSpan buffer() const { return buf_; }

  void WriteU8(uint8_t v);
  void WriteU16(uint16_t v);
  void WriteU24(uint32_t v);
  void WriteU32(uint32_t v);
  void WriteU64(uint64_t v);
  void WriteBytes(ByteSpan bytes);
  void WriteString(std::string_view s) { WriteBytes(AsBytes(s)); }
  void WriteZeros(size_t n);
  // Reserves n bytes and returns them for the caller to fill, or an empty span on overflow.
  MutableByteSpan Reserve(size_t n);
  // Overwrites an already-written 16-bit field.
  bool PatchU16(size_t offset, uint16_t v);

 private:
  bool Fits(size_t n) {
    if (!ok_ || n > buf_.size() - pos_) {
      ok_ = false;
      return false;
    }
    return true;
  }

  MutableByteSpan buf_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace tern

#endif  // TERN_BASE_BYTE_IO_H_
