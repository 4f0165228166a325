"""The ``lookup-tvm`` command line's subcommands, one module each with ``main(argv) -> int``
(``scripts/<name>.py`` in a checkout runs the same ``main``)."""
