# Afrikaans (South Africa) formats, from CLDR af-ZA as Babel ships it (Django ships none for af):
# "2 Desember 2026", "2026-12-02", 24-hour time, decimal comma, a non-breaking space between
# thousands. Month names come from Django's own Afrikaans catalogue. Times are SAST (TIME_ZONE).
DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
FIRST_DAY_OF_WEEK = 0  # Sunday, as CLDR has it for ZA
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
