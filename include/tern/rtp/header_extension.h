// RTP header extension elements (RFC 8285 §4.1-§4.3): the one-byte (profile 0xBEDE) and two-byte
// (profile 0x100X) forms that live inside the RFC 3550 §5.3.1 extension block, read and validated here.
#ifndef TERN_RTP_HEADER_EXTENSION_H_
#define TERN_RTP_HEADER_EXTENSION_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"

namespace tern::rtp {

inline constexpr uint16_t kOneByteExtensionProfile = 0xBEDE;  // RFC 8285 §4.2
inline constexpr uint16_t kTwoByteExtensionProfile = 0x1000;  // RFC 8285 §4.3: 0x100 + 4 appbits
inline constexpr uint16_t kTwoByteExtensionProfileMask = 0xFFF0;

// One-byte form: ids 1..14 (15 is reserved and ends processing, 0 is padding), 1..16 data bytes.
inline constexpr uint8_t kOneByteMaxId = 14;
inline constexpr size_t kOneByteMaxDataSize = 16;
// Two-byte form: ids 1..255 (0 is padding), 0..255 data bytes.
inline constexpr size_t kTwoByteMaxDataSize = 255;

enum class ExtensionForm : uint8_t {
  kNone,     // no extension block, or a profile other than RFC 8285's (read it raw)
  kOneByte,  // 0xBEDE
  kTwoByte,  // 0x100X
};

// The form a "defined by profile" value announces.
ExtensionForm ExtensionFormOf(uint16_t profile);

// Whether an element fits the one-byte form.
inline bool FitsOneByteForm(uint8_t id, size_t size) {
  return id >= 1 && id <= kOneByteMaxId && size >= 1 && size <= kOneByteMaxDataSize;
}
inline bool FitsTwoByteForm(uint8_t id, size_t size) { return id >= 1 && size <= kTwoByteMaxDataSize; }

// One element: its local identifier and its data (a view into the packet).
struct HeaderExtension {
  uint8_t id = 0;
  ByteSpan data;
};

// Checks every element of an extension block body (the bytes after the 4-byte extension header)
// in `form`: padding bytes must be zero, every element must fit, ids must be in range. In the
// one-byte form an element with id 15 ends processing (RFC 8285 §4.2): what follows is ignored.
// Returns the number of elements, or InvalidArgument naming the problem.
absl::StatusOr<size_t> ValidateExtensionElements(ExtensionForm form, ByteSpan body);

// Iterates the elements of a block that ValidateExtensionElements accepted, in wire order, skipping
// padding. Duplicate ids are reported as they come (Find returns the first).
class HeaderExtensionIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = HeaderExtension;
  using difference_type = std::ptrdiff_t;
  using pointer = const HeaderExtension*;
  using reference = const HeaderExtension&;
  HeaderExtensionIterator(ExtensionForm form, ByteSpan body, size_t offset);
  const HeaderExtension& operator*() const { return current_; }
  const HeaderExtension* operator->() const { return &current_; }
  HeaderExtensionIterator& operator++();
  friend bool operator==(const HeaderExtensionIterator& a, const HeaderExtensionIterator& b) {
    return a.offset_ == b.offset_;
  }

 private:
  void Load();  // skips padding and loads the element at offset_, or moves offset_ to the end

  ExtensionForm form_;
  ByteSpan body_;
  size_t offset_;
  size_t next_ = 0;
  HeaderExtension current_;
};

// The element list of one packet, as a range.
class HeaderExtensionList {
 public:
  HeaderExtensionList() = default;
  HeaderExtensionList(ExtensionForm form, ByteSpan body) : form_(form), body_(body) {}
  HeaderExtensionIterator begin() const { return HeaderExtensionIterator(form_, body_, 0); }
  HeaderExtensionIterator end() const { return HeaderExtensionIterator(form_, body_, body_.size()); }
  std::optional<ByteSpan> Find(uint8_t id) const;
  ExtensionForm form() const { return form_; }

 private:
  ExtensionForm form_ = ExtensionForm::kNone;
  ByteSpan body_;
};

}  // namespace tern::rtp

#endif  // TERN_RTP_HEADER_EXTENSION_H_
