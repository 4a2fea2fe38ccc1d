"""The pure core: traced Graphs and compiled Plans. No I/O happens here."""
