# Dates as the pages show them in English (templates name these formats, not patterns).
DATETIME_FORMAT = "j M Y H:i"
DATE_FORMAT = "D j M Y"
MONTH_DAY_FORMAT = "D j M"
YEAR_MONTH_FORMAT = "M Y"
