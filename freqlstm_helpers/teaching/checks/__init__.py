"""Exercise self-checks, one module per notebook (check01 ... check05) over a shared core."""
