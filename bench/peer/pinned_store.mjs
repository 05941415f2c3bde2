// Store for oidc-provider's in-memory adapter that never evicts a few chosen
// keys and handles all other keys as the default store does.
//
// oidc-provider 8.8.1's default adapter (lib/adapters/memory_adapter.js) keeps
// everything in one QuickLRU with a maxSize of 1000, which evicts an unused
// entry after 1000 to 2000 newer ones. Every refresh grant saves a new access
// token there, so refresh load evicts the harness's own access token
// (measured: userinfo returned 401 after 3300 refreshes). A larger LRU would
// avoid that, but it grows the heap by about 1.3 KB per issued token (measured
// on Node.js 20.20), which adds garbage collection work as a run goes on.

import QuickLRU from 'quick-lru';

// Capacity of the default store in oidc-provider 8.8.1.
const DEFAULT_MAX_ENTRIES = 1000;

export default class PinnedStore {
  #pinned = new Map();

  #lru = new QuickLRU({ maxSize: DEFAULT_MAX_ENTRIES });

  // Moves an existing entry out of the LRU so that it is never evicted.
  pin(key) {
    if (!this.#lru.has(key)) {
      throw new Error(`cannot pin ${key}: no such entry in the adapter store`);
    }
    this.#pinned.set(key, this.#lru.get(key));
    this.#lru.delete(key);
  }

  get(key) {
    if (this.#pinned.has(key)) {
      return this.#pinned.get(key);
    }
    return this.#lru.get(key);
  }

  // The adapter passes a third argument meant as a max age. The default
  // QuickLRU ignores it because it expects an options object, so expiry is
  // left to the token's own `exp` here too.
  set(key, value) {
    if (this.#pinned.has(key)) {
      this.#pinned.set(key, value);
    } else {
      this.#lru.set(key, value);
    }
    return this;
  }

  has(key) {
    return this.#pinned.has(key) || this.#lru.has(key);
  }

  delete(key) {
    const wasPinned = this.#pinned.delete(key);
    const wasCached = this.#lru.delete(key);
    return wasPinned || wasCached;
  }
}
