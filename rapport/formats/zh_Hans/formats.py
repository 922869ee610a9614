# Dates as Chinese readers write them: 2026年11月22日.
DATETIME_FORMAT = "Y年n月j日 H:i"
DATE_FORMAT = "Y年n月j日 D"
MONTH_DAY_FORMAT = "n月j日 D"
YEAR_MONTH_FORMAT = "Y年n月"
