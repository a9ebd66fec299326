"""The notifier: turns allocator events into messages for patients and delivers them."""
