// Lock-free single-producer/single-consumer rings, allocated once at open. The audio thread
// is one side of each ring and the JS thread the other; neither side ever waits for the other.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>

namespace voxbus {

// A ring of bytes. Positions are 64-bit counters that never wrap in practice (2^64 bytes), so
// "used" is simply write - read. Capacity is rounded up to a power of two for cheap masking.
class ByteRing {
 public:
  explicit ByteRing(size_t minCapacityBytes) {
    size_t capacity = 1;
    while (capacity < minCapacityBytes) capacity <<= 1;
    capacity_ = capacity;
    data_ = std::make_unique<uint8_t[]>(capacity);
  }

  size_t capacity() const { return capacity_; }
  size_t used() const { return static_cast<size_t>(writePos_.load(std::memory_order_acquire) - readPos_.load(std::memory_order_acquire)); }
  uint64_t writePosition() const { return writePos_.load(std::memory_order_acquire); }
  uint64_t readPosition() const { return readPos_.load(std::memory_order_acquire); }

  // Producer side: copies up to `bytes`, returns how many fitted.
  size_t write(const uint8_t* source, size_t bytes) {
    const uint64_t write = writePos_.load(std::memory_order_relaxed);
    const uint64_t read = readPos_.load(std::memory_order_acquire);
    const size_t space = capacity_ - static_cast<size_t>(write - read);
    const size_t count = bytes < space ? bytes : space;
    copyIn(write, source, count);
    writePos_.store(write + count, std::memory_order_release);
    return count;
  }

  // Consumer side: copies up to `bytes` out, returns how many were there.
  size_t read(uint8_t* target, size_t bytes) {
    const uint64_t read = readPos_.load(std::memory_order_relaxed);
    const uint64_t write = writePos_.load(std::memory_order_acquire);
    const size_t available = static_cast<size_t>(write - read);
    const size_t count = bytes < available ? bytes : available;
    copyOut(read, target, count);
    readPos_.store(read + count, std::memory_order_release);
    return count;
  }

  // Consumer side: drops everything written before producer position `upTo` (a flush must not
  // discard what the producer wrote after asking for it).
  size_t discardUpTo(uint64_t upTo) {
    const uint64_t read = readPos_.load(std::memory_order_relaxed);
    if (upTo <= read) return 0;
    readPos_.store(upTo, std::memory_order_release);
    return static_cast<size_t>(upTo - read);
  }

 private:
  void copyIn(uint64_t position, const uint8_t* source, size_t count) {
    const size_t start = static_cast<size_t>(position & (capacity_ - 1));
    const size_t first = count < capacity_ - start ? count : capacity_ - start;
    std::memcpy(data_.get() + start, source, first);
    std::memcpy(data_.get(), source + first, count - first);
  }
  void copyOut(uint64_t position, uint8_t* target, size_t count) const {
    const size_t start = static_cast<size_t>(position & (capacity_ - 1));
    const size_t first = count < capacity_ - start ? count : capacity_ - start;
    std::memcpy(target, data_.get() + start, first);
    std::memcpy(target + first, data_.get(), count - first);
  }

  size_t capacity_ = 0;
  std::unique_ptr<uint8_t[]> data_;
  alignas(64) std::atomic<uint64_t> writePos_{0};
  alignas(64) std::atomic<uint64_t> readPos_{0};
};

// A ring of fixed-size slots, each one period of PCM plus its timestamp: the capture thread
// fills a slot in place and publishes it; the JS thread copies it out and frees it.
struct PeriodSlot {
  double timeUs = 0;      // CLOCK_MONOTONIC time of the period's first sample
  uint32_t frames = 0;
  uint32_t flags = 0;     // bit 0: this period contains assistant content (playback reference)
  uint32_t lostFramesBefore = 0;  // capture: frames dropped (ring full) just before this period
  double writtenUs = 0;           // playback: when the period was written into the device
  double contentStart = 0;        // playback: content position of its first content frame
  uint32_t contentFrames = 0;     // playback: how many of its frames are content
  std::unique_ptr<uint8_t[]> data;
};

class SlotRing {
 public:
  SlotRing(size_t slotCount, size_t slotBytes) : count_(slotCount), slotBytes_(slotBytes) {
    slots_ = std::make_unique<PeriodSlot[]>(slotCount);
    for (size_t i = 0; i < slotCount; ++i) slots_[i].data = std::make_unique<uint8_t[]>(slotBytes);
  }

  size_t slotBytes() const { return slotBytes_; }

  // Producer: the slot to fill, or nullptr when every slot is still waiting for the consumer.
  PeriodSlot* beginWrite() {
    const uint64_t write = writePos_.load(std::memory_order_relaxed);
    if (write - readPos_.load(std::memory_order_acquire) >= count_) return nullptr;
    return &slots_[write % count_];
  }
  void commitWrite() { writePos_.fetch_add(1, std::memory_order_release); }

  // Consumer: the oldest filled slot, or nullptr.
  PeriodSlot* beginRead() {
    const uint64_t read = readPos_.load(std::memory_order_relaxed);
    if (read == writePos_.load(std::memory_order_acquire)) return nullptr;
    return &slots_[read % count_];
  }
  void commitRead() { readPos_.fetch_add(1, std::memory_order_release); }

 private:
  size_t count_;
  size_t slotBytes_;
  std::unique_ptr<PeriodSlot[]> slots_;
  alignas(64) std::atomic<uint64_t> writePos_{0};
  alignas(64) std::atomic<uint64_t> readPos_{0};
};

}  // namespace voxbus
