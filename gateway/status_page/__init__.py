"""A patient's own status page, ``/t/<code>``: reached through the signed link of one token and its visit day."""
