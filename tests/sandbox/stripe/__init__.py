"""Tests of the Stripe emulator, through the real stripe library."""
