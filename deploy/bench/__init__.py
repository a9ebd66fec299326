"""``opd bench``: load benchmarks over REST and AMQP, the pure-domain micro-benchmark, fault drills, and the
invariant checker they all end with."""
