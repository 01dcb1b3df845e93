// A list that most of its owners leave empty: one pointer wide while empty, where a
// std::vector takes three. A green thread's labels and ancestors are empty for nearly every
// thread, and a dump of a million threads holds a million of each.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace leakscan {

template <typename T>
class RareList {
 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  RareList() = default;
  RareList(const RareList& other)
      : items_(other.items_ ? std::make_unique<std::vector<T>>(*other.items_) : nullptr) {}
  RareList& operator=(const RareList& other) {
    if (this != &other) *this = RareList(other);
    return *this;
  }
  RareList(RareList&&) noexcept = default;
  RareList& operator=(RareList&&) noexcept = default;
  ~RareList() = default;

  bool empty() const { return !items_ || items_->empty(); }
  size_t size() const { return items_ ? items_->size() : 0; }
  T* begin() { return items_ ? items_->data() : nullptr; }
  T* end() { return begin() + size(); }
  const T* begin() const { return items_ ? items_->data() : nullptr; }
  const T* end() const { return begin() + size(); }
  T& operator[](size_t index) { return (*items_)[index]; }
  const T& operator[](size_t index) const { return (*items_)[index]; }
  T& front() { return items_->front(); }
  const T& front() const { return items_->front(); }
  T& back() { return items_->back(); }
  const T& back() const { return items_->back(); }

  void push_back(T item) { items().push_back(std::move(item)); }
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    return items().emplace_back(std::forward<Args>(args)...);
  }
  void prepend(T item) { items().insert(items().begin(), std::move(item)); }
  void clear() { items_.reset(); }

 private:
  std::vector<T>& items() {
    if (!items_) items_ = std::make_unique<std::vector<T>>();
    return *items_;
  }
  std::unique_ptr<std::vector<T>> items_;
};

}  // namespace leakscan
