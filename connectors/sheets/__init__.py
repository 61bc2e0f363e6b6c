"""The ops sheet: one row per order and whole summary tabs, in Google Sheets or a workbook.

layout.py     what the orders tab holds: columns, French labels, one typed row per order
plan.py       which row each changed order goes to (by reference), stale copies, duplicates
writer.py     the one interface both backends implement, and what a write reports
google.py     the Google Sheets backend (gspread), batched and quota-aware
wire.py       typed cells as Sheets values and formats (serial dates, euros, links)
workbook.py   the local .xlsx backend (openpyxl, write-only, replaced atomically)
limits.py     Google's size limits: payload chunks, cell length, the cell-count warning
limiter.py    the client-side writes-per-minute budget
errors.py     gspread and network errors classified once, as transient or permanent
connector.py  the outbox connector: a batch of order events in, one write out
"""
