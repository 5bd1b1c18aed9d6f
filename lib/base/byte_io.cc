#include "tern/base/byte_io.h"

namespace tern {

bool ByteReader::ReadU8(uint8_t* out) {
  if (remaining() < 1) return false;
  *out = data_[pos_++];
  return true;
}

bool ByteReader::ReadU16(uint16_t* out) {
  if (remaining() < 2) return false;
  *out = LoadBigEndian16(data_.data() + pos_);
  pos_ += 2;
  return true;
}

bool ByteReader::ReadU24(uint32_t* out) {
  if (remaining() < 3) return false;
  const uint8_t* p = data_.data() + pos_;
  *out = (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
  pos_ += 3;
  return true;
}

bool ByteReader::ReadU32(uint32_t* out) {
  if (remaining() < 4) return false;
  *out = LoadBigEndian32(data_.data() + pos_);
  pos_ += 4;
  return true;
}

bool ByteReader::ReadU64(uint64_t* out) {
  if (remaining() < 8) return false;
  *out = LoadBigEndian64(data_.data() + pos_);
  pos_ += 8;
  return true;
}

bool ByteReader::ReadBytes(size_t n, ByteSpan* out) {
  if (remaining() < n) return false;
  *out = data_.subspan(pos_, n);
  pos_ += n;
  return true;
}

bool ByteReader::CopyBytes(MutableByteSpan out) {
  if (remaining() < out.size()) return false;
  if (!out.empty()) std::memcpy(out.data(), data_.data() + pos_, out.size());
  pos_ += out.size();
  return true;
}

bool ByteReader::Skip(size_t n) {
  if (remaining() < n) return false;
  pos_ += n;
  return true;
}

void ByteWriter::WriteU8(uint8_t v) {
  if (!Fits(1)) return;
  buf_[pos_++] = v;
}

void ByteWriter::WriteU16(uint16_t v) {
  if (!Fits(2)) return;
  StoreBigEndian16(buf_.data() + pos_, v);
  pos_ += 2;
}

void ByteWriter::WriteU24(uint32_t v) {
  if (!Fits(3)) return;
  buf_[pos_] = static_cast<uint8_t>(v >> 16);
  buf_[pos_ + 1] = static_cast<uint8_t>(v >> 8);
  buf_[pos_ + 2] = static_cast<uint8_t>(v);
  pos_ += 3;
}

void ByteWriter::WriteU32(uint32_t v) {
  if (!Fits(4)) return;
  StoreBigEndian32(buf_.data() + pos_, v);
  pos_ += 4;
}

void ByteWriter::WriteU64(uint64_t v) {
  if (!Fits(8)) return;
  StoreBigEndian64(buf_.data() + pos_, v);
  pos_ += 8;
}

void ByteWriter::WriteBytes(ByteSpan bytes) {
  if (!Fits(bytes.size())) return;
  if (!bytes.empty()) std::memcpy(buf_.data() + pos_, bytes.data(), bytes.size());
  pos_ += bytes.size();
}

void ByteWriter::WriteZeros(size_t n) {
  if (!Fits(n)) return;
  if (n != 0) std::memset(buf_.data() + pos_, 0, n);
  pos_ += n;
}

MutableByteSpan ByteWriter::Reserve(size_t n) {
  if (!Fits(n)) return {};
  MutableByteSpan out = buf_.subspan(pos_, n);
  pos_ += n;
  return out;
}

bool ByteWriter::PatchU16(size_t offset, uint16_t v) {
  if (offset > pos_ || pos_ - offset < 2) return false;
  StoreBigEndian16(buf_.data() + offset, v);
  return true;
}

}  // namespace tern
