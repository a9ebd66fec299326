"""The allocator: the single writer of doctors, slots and tokens."""
