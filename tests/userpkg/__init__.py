"""A small user package for tests/test_user_code.py: helpers in other modules are followed."""
