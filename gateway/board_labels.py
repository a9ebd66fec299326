"""The board's words, as catalog messages: the page shows each in every language of ``OPD_BOARD_LANGUAGES``."""

from shared.i18n.catalogs import N_

# Drawn by the page's script (with ``{count}`` or ``{time}`` filled in there); the static ones are in the template.
SCRIPT_LABELS = {
    "room": N_("Room {room}"),
    "empty": N_("No patients waiting"),
    "more": N_("{count} more waiting"),
    "waitlist": N_("{count} on the waiting list"),
    "late": N_("The doctor is running late: the times shown are the new ones"),
    "reconnecting": N_("Reconnecting…"),
    "updated": N_("Last updated {time}"),
}
