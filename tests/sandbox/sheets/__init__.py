"""Tests of the Sheets emulator, through the real gspread library."""
