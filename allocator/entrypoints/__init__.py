"""Where work enters the allocator: the shard consumers (commands from RabbitMQ) and the clock's ticker."""
