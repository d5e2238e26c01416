// SPDX-License-Identifier: MIT
// Fixed-size object pools: free lists refilled in chunks, so the request path never calls malloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

namespace portico {

// A pool of raw blocks of one size. Blocks are carved from chunks of `per_chunk`
// blocks; freed blocks go to a LIFO free list (cache-warm reuse). Single-threaded.
// get() returns nullptr when the pool is empty and cannot grow (out of memory): callers
// fail the one operation that needed the block, never the process.
class block_pool {
public:
    explicit block_pool(size_t block_size = 64, size_t per_chunk = 64)
    {
        init(block_size, per_chunk);
    }
    ~block_pool()
    {
        for (void* c : chunks_)
            std::free(c);
    }
    block_pool(const block_pool&) = delete;
    block_pool& operator=(const block_pool&) = delete;

    void init(size_t block_size, size_t per_chunk)
    {
        size_ = (block_size + 63) & ~size_t(63);
        per_chunk_ = per_chunk ? per_chunk : 1;
    }
    size_t block_size() const { return size_; }
    size_t used() const { return used_; }
    size_t allocated() const { return chunks_.size() * per_chunk_; } // blocks carved so far
    size_t failed() const { return failed_; }                        // get() that failed

    [[nodiscard]] void* get()
    {
        if (!free_ && !refill()) [[unlikely]] {
            ++failed_;
            return nullptr;
        }
        node* n = free_;
        free_ = n->next;
        ++used_;
        return n;
    }
    void put(void* p)
    {
        node* n = static_cast<node*>(p);
        n->next = free_;
        free_ = n;
        --used_;
    }

private:
    struct node {
        node* next;
    };
    bool refill()
    {
        if (!size_ || per_chunk_ > SIZE_MAX / size_)
            return false;
        void* c = std::aligned_alloc(64, size_ * per_chunk_);
        if (!c)
            return false;
        try {
            chunks_.push_back(c);
        } catch (const std::bad_alloc&) {
            std::free(c);
            return false;
        }
        char* p = static_cast<char*>(c);
        for (size_t i = per_chunk_; i-- > 0;) {
            node* n = reinterpret_cast<node*>(p + i * size_);
            n->next = free_;
            free_ = n;
        }
        return true;
    }
    node* free_ = nullptr;
    size_t size_ = 64;
    size_t per_chunk_ = 64;
    size_t used_ = 0;
    size_t failed_ = 0;
    std::vector<void*> chunks_;
};

} // namespace portico
