#include "tern/rtp/header_extension.h"

#include "absl/strings/str_cat.h"

namespace tern::rtp {

ExtensionForm ExtensionFormOf(uint16_t profile) {
  if (profile == kOneByteExtensionProfile) return ExtensionForm::kOneByte;
  if ((profile & kTwoByteExtensionProfileMask) == kTwoByteExtensionProfile) return ExtensionForm::kTwoByte;
  return ExtensionForm::kNone;
}

absl::StatusOr<size_t> ValidateExtensionElements(ExtensionForm form, ByteSpan body) {
  size_t count = 0;
  size_t i = 0;
  if (form == ExtensionForm::kOneByte) {
    while (i < body.size()) {
      uint8_t b = body[i];
      uint8_t id = b >> 4;
      if (b == 0) {  // padding (RFC 8285 §4.1)
        ++i;
        continue;
      }
      if (id == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("RTP one-byte header extension: padding byte at offset ", i, " is not zero"));
      }
      if (id == 15) break;  // reserved: stop processing here (RFC 8285 §4.2)
      size_t size = (b & 0x0F) + 1u;
      if (body.size() - i - 1 < size) {
        return absl::InvalidArgumentError(absl::StrCat("RTP one-byte header extension: element id ", id,
                                                       " of ", size, " bytes runs past the extension block"));
      }
      i += 1 + size;
      ++count;
    }
    return count;
  }
  if (form == ExtensionForm::kTwoByte) {
    while (i < body.size()) {
      uint8_t id = body[i];
      if (id == 0) {  // padding
        ++i;
        continue;
      }
      if (body.size() - i < 2) {
        return absl::InvalidArgumentError(absl::StrCat("RTP two-byte header extension: element id ", id,
                                                       " has no length byte in the extension block"));
      }
      size_t size = body[i + 1];
      if (body.size() - i - 2 < size) {
        return absl::InvalidArgumentError(absl::StrCat("RTP two-byte header extension: element id ", id,
                                                       " of ", size, " bytes runs past the extension block"));
      }
      i += 2 + size;
      ++count;
    }
    return count;
  }
  return size_t{0};
}

HeaderExtensionIterator::HeaderExtensionIterator(ExtensionForm form, ByteSpan body, size_t offset)
    : form_(form), body_(body), offset_(offset) {
  Load();
}

void HeaderExtensionIterator::Load() {
  // Skip padding; stop at the end or (one-byte form) at the reserved id 15.
  while (offset_ < body_.size()) {
    uint8_t b = body_[offset_];
    if (b == 0) {
      ++offset_;
      continue;
    }
    if (form_ == ExtensionForm::kOneByte) {
      uint8_t id = b >> 4;
      if (id == 15) break;
      size_t size = (b & 0x0F) + 1u;
      current_ = HeaderExtension{id, body_.subspan(offset_ + 1, size)};
      next_ = offset_ + 1 + size;
      return;
    }
    if (form_ == ExtensionForm::kTwoByte) {
      size_t size = body_[offset_ + 1];
      current_ = HeaderExtension{b, body_.subspan(offset_ + 2, size)};
      next_ = offset_ + 2 + size;
      return;
    }
    break;
  }
  offset_ = body_.size();
  current_ = HeaderExtension{};
}

HeaderExtensionIterator& HeaderExtensionIterator::operator++() {
  offset_ = next_;
  Load();
  return *this;
}

std::optional<ByteSpan> HeaderExtensionList::Find(uint8_t id) const {
  if (id == 0) return std::nullopt;
  for (const HeaderExtension& e : *this) {
    if (e.id == id) return e.data;
  }
  return std::nullopt;
}

}  // namespace tern::rtp
