"""What patients read, in their language: gettext catalogs, locale formats in the hospital's zone, reasons."""
