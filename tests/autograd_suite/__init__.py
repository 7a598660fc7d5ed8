"""autograd 1.9.1's own test suite, run against bpcompiler (see test_autograd_suite.py)."""
