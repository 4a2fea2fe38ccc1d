"""Storage on the shared filesystem: atomic files, content-addressed blobs, the value codec."""
