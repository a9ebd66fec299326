"""Public contracts: commands, replies, events and the views they carry."""
