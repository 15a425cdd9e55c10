"""Tasks between agencies: a coordinating agency asks others to act or report by a date,
with attachments and linked cases; recipients acknowledge, answer and close; the issuer
accepts or reopens; overdue tasks escalate. Regulator tasks carry phone numbers from
referred cases and record each number's outcome. Also where a case, bank or indicator
list is resolved for sharing (`shares.py`), since those objects live in the stages."""
