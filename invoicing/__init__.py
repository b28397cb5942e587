"""FatturaPA intake (SdI XML and .p7m) and active-invoice generation, as pure functions."""
