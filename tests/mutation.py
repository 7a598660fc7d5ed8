"""The mutation test of verification over the whole registry (tests/support/mutation.py),
printing the README's table:

    python tests/mutation.py [--sample N] [--per-op 3]

(Run from a checkout with bpcompiler installed, `pip install -e .`; this file's folder,
tests/, is where `support` is found, as pytest's own `pythonpath` setting has it.)
"""

from support.mutation import main

if __name__ == "__main__":
    main()
