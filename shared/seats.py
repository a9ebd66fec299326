"""The seat rule of DESIGN §2, as arithmetic every service can show the same way."""


def effective_reserve(reserved: int, slot_started: bool, release_at_start: bool = True) -> int:
    """Seats still held back for emergencies: all of them until the slot starts, then none (if released)."""
    return 0 if slot_started and release_at_start else reserved


def regular_seats_left(capacity: int, reserve: int, regular: int, emergency: int) -> int:
    """A regular token gets a seat iff ``N + max(E, R) < C``."""
    return max(0, capacity - regular - max(emergency, reserve))


def emergency_seats_left(capacity: int, regular: int, emergency: int) -> int:
    """Seats an emergency can take without the overflow: ``C - N - E``."""
    return max(0, capacity - regular - emergency)


def emergency_fits(capacity: int, regular: int, emergency: int) -> bool:
    """An emergency gets a seat iff ``N + E < C``, or the single overflow seat iff ``N + E = C``."""
    return regular + emergency <= capacity


def overflow_used(capacity: int, regular: int, emergency: int) -> bool:
    return regular + emergency > capacity
