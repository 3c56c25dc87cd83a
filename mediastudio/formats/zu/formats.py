# isiZulu (South Africa) formats, from CLDR zu-ZA as Babel ships it (Django ships none for zu):
# CLDR's short date "2026-12-02" and 24-hour time; decimal point and comma between thousands
# (CLDR zu: "R1,234.56"). Django has no isiZulu month names, so dates are numeric (CLDR's
# short pattern) rather than showing English month names. Times are SAST (TIME_ZONE).
DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y-m-d H:i"
YEAR_MONTH_FORMAT = "Y-m"
MONTH_DAY_FORMAT = "m-d"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
FIRST_DAY_OF_WEEK = 0  # Sunday, as CLDR has it for ZA
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
