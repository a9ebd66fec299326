"""Running the system: the ``opd`` command, the local supervisor, the simulation."""
