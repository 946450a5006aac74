"""Finding and downloading weights: the hub, the cache, detector weights, progress."""
