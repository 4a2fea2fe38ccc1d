"""The content-addressed cache on the shared filesystem: keys, hashing, the store, explain."""
